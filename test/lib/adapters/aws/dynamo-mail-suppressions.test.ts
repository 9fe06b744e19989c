/**
 * Bounces and complaints, end to end on the emulators: SES's SNS messages
 * (the shapes SES publishes) recorded on dynalite by workers/ses-events.ts,
 * and the SES mailer (aws-ses-v2-local) refusing the suppressed address
 * while still sending to others.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoMailSuppressions } from "@/lib/adapters/aws/dynamo-mail-suppressions";
import { SesMailer } from "@/lib/adapters/aws/ses-mailer";
import { BackendError } from "@/lib/core/errors";
import { recordMailEvents, type SnsEvent } from "@/workers/ses-events";
import { createJobsTable, startDynamo, startSes } from "@/test/support/emulators";

let dynamo: Awaited<ReturnType<typeof startDynamo>>;
let ses: Awaited<ReturnType<typeof startSes>>;
const FROM = "Acme Flowers Exports <exports@acmeflowers.test>";
const quietLog = { warn: () => {}, info: () => {} };

beforeAll(async () => {
  [dynamo, ses] = await Promise.all([startDynamo(), startSes()]);
});
afterAll(async () => {
  await Promise.all([dynamo.stop(), ses.stop()]);
});

/** An SNS delivery of SES event publishing messages. */
const sns = (...messages: unknown[]): SnsEvent => ({
  Records: messages.map((m, i) => ({ Sns: { MessageId: `m-${i}`, Message: typeof m === "string" ? m : JSON.stringify(m), Timestamp: "2026-12-01T10:00:00.000Z" } })),
});
const bounce = (type: "Permanent" | "Transient", ...emails: string[]) => ({
  eventType: "Bounce",
  bounce: { bounceType: type, bounceSubType: type === "Permanent" ? "General" : "MailboxFull", timestamp: "2026-12-01T09:59:58.000Z", bouncedRecipients: emails.map((emailAddress) => ({ emailAddress, diagnosticCode: "smtp; 550 5.1.1 user unknown" })) },
  mail: { messageId: "ses-1", destination: emails },
});
const complaint = (email: string) => ({
  notificationType: "Complaint",
  complaint: { complainedRecipients: [{ emailAddress: email }], complaintFeedbackType: "abuse", timestamp: "2026-12-01T09:59:59.000Z" },
  mail: { messageId: "ses-2", destination: [email] },
});

describe("mail suppressions", () => {
  it("records hard bounces and complaints, not transient bounces or junk", async () => {
    const table = await createJobsTable(dynamo.client);
    try {
      const store = new DynamoMailSuppressions({ client: dynamo.doc, tableName: table.name });
      const result = await recordMailEvents(store, sns(bounce("Permanent", "Gone@Example.com", "also-gone@example.com"), bounce("Transient", "full@example.com"), complaint("angry@example.com"), "not json", { eventType: "Delivery" }), quietLog);
      expect(result).toEqual({ recorded: 3 });
      expect(await store.get("gone@example.com")).toEqual({ email: "gone@example.com", reason: "bounce", at: "2026-12-01T09:59:58.000Z", detail: "smtp; 550 5.1.1 user unknown" });
      expect(await store.get("angry@example.com")).toMatchObject({ reason: "complaint", detail: "abuse" });
      expect(await store.isSuppressed("ALSO-GONE@example.com")).toBe(true);
      expect(await store.isSuppressed("full@example.com")).toBe(false);
    } finally {
      await table.drop();
    }
  });

  it("the SES mailer sends nothing to a suppressed address, and still mails everyone else", async () => {
    const table = await createJobsTable(dynamo.client);
    try {
      await ses.clearStore();
      const store = new DynamoMailSuppressions({ client: dynamo.doc, tableName: table.name });
      await recordMailEvents(store, sns(complaint("angry@example.com")), quietLog);
      const mailer = new SesMailer({ client: ses.client, from: FROM, suppressions: store });
      const msg = { subject: "Your export is ready", text: "t", html: "<p>h</p>" };
      const refused = await mailer.send({ ...msg, to: "Angry@example.com", idempotencyKey: "k-1" }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(BackendError);
      expect(refused).toMatchObject({ code: "mail_rejected", retryable: false });
      await mailer.send({ ...msg, to: "happy@example.com", idempotencyKey: "k-2" });
      expect((await ses.readStore()).map((m) => m.destination.to)).toEqual([["happy@example.com"]]);
    } finally {
      await table.drop();
    }
  });
});
