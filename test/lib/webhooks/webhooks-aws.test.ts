/**
 * Webhooks in aws mode, on emulators: the export runs through SQS and the
 * Lambda handler; the handler, dispatching by message type, sends the
 * `webhook.deliver` messages the worker scheduled; a receiver that fails once
 * gets the delivery on the second attempt, re-enqueued as a new SQS message.
 * Endpoints, deliveries, the Idempotency-Key claim and the token live in DynamoDB.
 */
import { createHmac } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDeps, type AppDeps } from "@/lib/config";
import type { Actor } from "@/lib/core/actor";
import type { ExportStatus } from "@/lib/exports/model";
import { submitExport } from "@/lib/exports/service";
import { createWebhookEndpoint, listWebhookDeliveries } from "@/lib/webhooks/endpoints";
import { createApiToken, verifyApiToken } from "@/lib/tokens/api-tokens";
import { createUser } from "@/lib/users/users";
import { handler as deadLetterHandler } from "@/workers/sqs-dlq";
import { handler } from "@/workers/sqs";
import { handler as deliveryHandler } from "@/workers/sqs-deliveries";
import { deliverBatch, startAwsBackend, type AwsBackend } from "@/test/support/aws-backend";

let backend: AwsBackend;
let deps: AppDeps;
let rose: Actor;
const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
let server: http.Server;
let receiverUrl: string;

beforeAll(async () => {
  backend = await startAwsBackend({ rows: 1_000 });
  Object.assign(process.env, backend.env, {
    INLINE_WAIT_MS: "2000",
    POLL_DELAY_SECONDS: "0",
    RETRY_BASE_SECONDS: "0",
    WEBHOOK_RETRY_BASE_SECONDS: "0",
    // The receiver below listens on 127.0.0.1; aws mode refuses that unless told otherwise.
    WEBHOOK_ALLOW_HTTP_LOCALHOST: "true",
  });
  deps = await getDeps();
  const user = await createUser(deps.users, { email: "rose@suppliers.test", password: "rose-password-123", role: "supplier", supplierId: "sup_rose", supplierName: "Rose Supply Co" });
  rose = { userId: user.id, email: user.email, role: "supplier", supplierId: "sup_rose" };
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(received.length === 1 ? 502 : 200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
}, 120_000);

afterAll(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  await deps?.close();
  await backend?.stop();
});

async function runLambdaUntil(done: () => Promise<boolean>, deadlineMs = 60_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await done()) || (await deps.queue.depth()) > 0) {
    if (Date.now() > deadline) throw new Error("did not finish in time");
    const delivered = (await deliverBatch(backend.sqs, backend.queueUrl, handler)) + (await deliverBatch(backend.sqs, backend.deliveryQueueUrl, deliveryHandler, 10));
    if (delivered === 0) await deliverBatch(backend.sqs, backend.deadLetterUrl, deadLetterHandler);
  }
}

describe("partner API in aws mode", () => {
  it("verifies a token stored in DynamoDB", async () => {
    const { secret } = await createApiToken(deps, rose, { name: "ERP" });
    expect((await verifyApiToken(deps, secret))?.actor).toMatchObject({ userId: rose.userId, supplierId: "sup_rose" });
  });

  it("delivers export.ready through the delivery queue and its own Lambda handler, retrying a failed attempt", async () => {
    const { endpoint, secret } = await createWebhookEndpoint(deps, rose, { url: receiverUrl });
    const guards = { claims: deps.claims, limits: deps.config.api };
    const body = { dataset: "product_inventory", params: {}, format: "csv", notify: false };
    const first = await submitExport(deps, guards, rose, body, { idempotencyKey: "aws-1" });
    expect(first.outcome).toBe("created");
    expect((await submitExport(deps, guards, rose, body, { idempotencyKey: "aws-1" })).export.id).toBe(first.export.id);

    const finished: ExportStatus[] = ["ready", "failed"];
    await runLambdaUntil(async () => {
      const rec = await deps.jobs.getExport(first.export.id);
      return !!rec && finished.includes(rec.status) && received.length >= 2;
    });
    expect((await deps.jobs.getExport(first.export.id))?.status).toBe("ready");
    expect(received).toHaveLength(2);
    const last = received[1]!;
    const expected = "v1=" + createHmac("sha256", secret).update(`${last.headers["webhook-timestamp"]}.${last.body}`).digest("hex");
    expect(last.headers["webhook-signature"]).toBe(expected);
    expect(JSON.parse(last.body)).toMatchObject({ type: "export.ready", data: { export: { id: first.export.id, status: "ready" } } });
    const [log] = await listWebhookDeliveries(deps, rose, endpoint.id);
    expect(log).toMatchObject({ status: "delivered", attempts: 2, lastStatusCode: 200 });
    // The lane is the delivery queue's: nothing of it passed through the export queue's slots.
    expect(await deps.queue.depth()).toBe(0);
  });
});
