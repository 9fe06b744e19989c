/** The Mailer contract on SES (aws-ses-v2-local), reading what arrived from its `GET /store`. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SesMailer } from "@/lib/adapters/aws/ses-mailer";
import { testMailer } from "@/test/contracts/mailer.contract";
import { startSes } from "@/test/support/emulators";

let ses: Awaited<ReturnType<typeof startSes>>;
const FROM = "Acme Flowers Exports <exports@acmeflowers.test>";

beforeAll(async () => {
  ses = await startSes();
});
afterAll(async () => {
  await ses.stop();
});

describe("SesMailer", () => {
  testMailer(async () => {
    await ses.clearStore();
    return {
      mailer: new SesMailer({ client: ses.client, from: FROM }),
      readSent: async () =>
        (await ses.readStore())
          .map((m) => ({ to: m.destination.to.join(", "), subject: m.subject, text: m.body.text ?? "", html: m.body.html ?? "" }))
          .reverse(),
      cleanup: () => ses.clearStore(),
    };
  });

  it("sends from the configured sender and cannot list what it sent", async () => {
    await ses.clearStore();
    const mailer = new SesMailer({ client: ses.client, from: FROM });
    const { messageId } = await mailer.send({ to: "a@example.com", subject: "S", text: "t", html: "<p>h</p>", idempotencyKey: "export-ready-exp_1" });
    const [stored] = await ses.readStore();
    expect(stored?.from).toBe(FROM);
    expect(stored?.messageId).toBe(messageId);
    expect(await mailer.listSent(10)).toBeNull();
  });

  it("refuses a sender that is not an address", () => {
    expect(() => new SesMailer({ client: ses.client, from: "" })).toThrow();
    expect(() => new SesMailer({ client: ses.client, from: "Exports" })).toThrow();
  });
});

describe("SesMailer with a mocked client", () => {
  it("tags the message with its idempotency key and sends it through the configuration set", async () => {
    const { SESClient, SendEmailCommand } = await import("@aws-sdk/client-ses");
    const { mockClient } = await import("aws-sdk-client-mock");
    const client = new SESClient({ region: "eu-west-1", credentials: { accessKeyId: "x", secretAccessKey: "y" } });
    const mock = mockClient(client);
    mock.on(SendEmailCommand).resolves({ MessageId: "m-1" });
    const mailer = new SesMailer({ client, from: FROM, configurationSet: "portal" });
    await mailer.send({ to: "a@example.com", subject: "S", text: "t", html: "h", idempotencyKey: "export-ready-exp_1 #2" });
    expect(mock.commandCalls(SendEmailCommand)[0]!.args[0].input).toMatchObject({
      Source: FROM,
      ConfigurationSetName: "portal",
      Tags: [{ Name: "idempotency-key", Value: "export-ready-exp_1__2" }],
    });

    // A message SES refuses can never be sent: a permanent fault, not a retry.
    mock.on(SendEmailCommand).rejects(Object.assign(new Error("Email address is not verified."), { name: "MessageRejected" }));
    const err = await mailer.send({ to: "a@example.com", subject: "S", text: "t", html: "h", idempotencyKey: "k" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: "BackendError", code: "mail_rejected", retryable: false });
    // Throttling stays as it is: the worker retries anything that is not a permanent BackendError.
    mock.on(SendEmailCommand).rejects(Object.assign(new Error("Maximum sending rate exceeded."), { name: "Throttling" }));
    await expect(mailer.send({ to: "a@example.com", subject: "S", text: "t", html: "h", idempotencyKey: "k" })).rejects.toMatchObject({ name: "Throttling" });
  });
});
