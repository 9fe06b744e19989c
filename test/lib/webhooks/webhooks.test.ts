/**
 * Webhooks end to end on the local backend: a receiver started here on
 * 127.0.0.1 gets a correctly signed delivery when an export is ready (checked
 * with the verification steps documented on /docs/api); a receiver that fails
 * twice gets it on the third attempt; each attempt is logged. The worker is
 * driven by hand (`drain`), with no backoff delay.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppDeps } from "@/lib/config";
import { ApiError } from "@/lib/core/errors";
import { checkEndpointUrl, createWebhookEndpoint, listWebhookDeliveries } from "@/lib/webhooks/endpoints";
import { handleWebhookMessage, postWebhook } from "@/lib/webhooks/deliveries";
import { webhookDeliverMessage } from "@/lib/webhooks/messages";
import { openSecret } from "@/lib/webhooks/secrets";
import { drain, makeLocalDeps, requestExportAs, rose, seededWarehouse, tulip } from "@/test/support/local-env";

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A receiver answering each request with the next status of `statuses` (the last one repeats). */
async function startReceiver(statuses: number[], opts: { location?: string; hang?: boolean } = {}) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      if (opts.hang) return;
      const status = statuses[Math.min(received.length - 1, statuses.length - 1)]!;
      res.writeHead(status, opts.location ? { location: opts.location } : {});
      res.end(status >= 400 ? `failure number ${received.length} ${"x".repeat(5000)}` : "ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return {
    url,
    received,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** The verification documented on /docs/api, step by step. */
function verifyAsDocumented(secret: string, headers: http.IncomingHttpHeaders, rawBody: string): boolean {
  const timestamp = String(headers["webhook-timestamp"]);
  const signature = String(headers["webhook-signature"]);
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const expected = "v1=" + createHmac("sha256", secret).update(`${timestamp}.${rawBody}`).digest("hex");
  return signature.length === expected.length && timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
}

let warehouse: { dbPath: string; dir: string };
let deps: AppDeps & { dataDir: string };

beforeAll(async () => {
  warehouse = await seededWarehouse(300);
  deps = await makeLocalDeps(warehouse.dbPath, { WEBHOOK_RETRY_BASE_SECONDS: "0", WEBHOOK_TIMEOUT_MS: "500" });
});

afterAll(async () => {
  await deps?.close();
  if (deps) await fs.rm(deps.dataDir, { recursive: true, force: true });
  if (warehouse) await fs.rm(warehouse.dir, { recursive: true, force: true });
});

const inventory = { dataset: "product_inventory", params: {}, format: "csv", notify: false };

/** A supplier of its own per test, so one test's endpoints never receive another's exports. */
function supplier(name: string): typeof rose {
  return { userId: `usr_${name}`, email: `${name}@suppliers.test`, role: "supplier", supplierId: `sup_${name}` };
}

describe("webhook deliveries", () => {
  it("sends nothing to an address that is not public, whatever DNS says at registration", async () => {
    const delivery = { id: "whd_x", endpointId: "whe_x", supplierId: "sup_rose", exportId: "exp_x", event: "export.ready" as const, payload: "{}", status: "pending" as const, attempts: 0, lastAttemptAt: null, lastStatusCode: null, lastError: null, nextAttemptAt: null, createdAt: new Date().toISOString() };
    const endpoint = { id: "whe_x", supplierId: "sup_rose", url: "http://localhost:9/hook", events: ["export.ready" as const], secret: "s", description: "", createdBy: "u", createdAt: "" };
    const strict = { ...deps.webhooks.settings, allowHttpLocalhost: false };
    const res = await postWebhook(endpoint, delivery, strict, new Date());
    expect(res).toMatchObject({ ok: false, statusCode: null, error: expect.stringMatching(/^Not sent: .* is not a public address\.$/) });
  });

  it("sends export.ready to the supplier's endpoint through the queue, signed as documented", async () => {
    const receiver = await startReceiver([200]);
    try {
      const { endpoint, secret } = await createWebhookEndpoint(deps, rose, { url: receiver.url, events: ["export.ready"] });
      // The store holds the secret sealed, not as shown.
      const stored = (await deps.webhooks.store.getEndpoint(endpoint.id))!.secret;
      expect(stored).toMatch(/^enc:v1:/);
      expect(stored).not.toContain(secret.slice(6));
      expect(openSecret(deps.webhooks.settings.secretKey, stored)).toBe(secret);
      expect(() => openSecret("11".repeat(32), stored)).toThrow();
      const other = await startReceiver([200]);
      await createWebhookEndpoint(deps, tulip, { url: other.url });
      const failedOnly = await startReceiver([200]);
      await createWebhookEndpoint(deps, rose, { url: failedOnly.url, events: ["export.failed"] });

      const rec = await requestExportAs(deps, rose, inventory);
      // Nothing is sent inline: the request only queued the export.
      expect(receiver.received).toHaveLength(0);
      const done = await drain(deps, rec.id);
      expect(done.status).toBe("ready");

      expect(receiver.received).toHaveLength(1);
      const [hit] = receiver.received;
      expect(hit!.headers["content-type"]).toBe("application/json");
      expect(verifyAsDocumented(secret, hit!.headers, hit!.body)).toBe(true);
      expect(verifyAsDocumented("whsec_wrong", hit!.headers, hit!.body)).toBe(false);
      expect(verifyAsDocumented(secret, hit!.headers, hit!.body.replace("ready", "reddy"))).toBe(false);
      const payload = JSON.parse(hit!.body);
      expect(payload).toMatchObject({ id: hit!.headers["webhook-id"], type: "export.ready", createdAt: expect.any(String), data: { export: { id: rec.id, status: "ready", supplierId: "sup_rose" } } });

      // Another supplier's endpoint and an endpoint for failures only got nothing.
      expect(other.received).toHaveLength(0);
      expect(failedOnly.received).toHaveLength(0);
      await other.close();
      await failedOnly.close();

      const [log] = await listWebhookDeliveries(deps, rose, endpoint.id);
      expect(log).toMatchObject({ exportId: rec.id, event: "export.ready", status: "delivered", attempts: 1, lastStatusCode: 200, nextAttemptAt: null });
      // Another supplier cannot read the log.
      await expect(listWebhookDeliveries(deps, tulip, endpoint.id)).rejects.toMatchObject({ code: "not_found" });
    } finally {
      await receiver.close();
    }
  });

  it("retries a receiver that fails twice and delivers on the third attempt, logging each", async () => {
    const receiver = await startReceiver([500, 503, 204]);
    const daisy = supplier("daisy");
    try {
      const { endpoint, secret } = await createWebhookEndpoint(deps, daisy, { url: receiver.url });
      const rec = await requestExportAs(deps, daisy, { ...inventory, format: "parquet" });
      await drain(deps, rec.id);
      expect(receiver.received).toHaveLength(3);
      const ids = new Set(receiver.received.map((r) => r.headers["webhook-id"]));
      expect(ids.size).toBe(1);
      for (const r of receiver.received) expect(verifyAsDocumented(secret, r.headers, r.body)).toBe(true);
      const [log] = await listWebhookDeliveries(deps, daisy, endpoint.id);
      expect(log).toMatchObject({ status: "delivered", attempts: 3, lastStatusCode: 204, lastError: null });
    } finally {
      await receiver.close();
    }
  });

  it("keeps only a short excerpt of a failed response, and gives up after the maximum age", async () => {
    const receiver = await startReceiver([500]);
    const iris = supplier("iris");
    try {
      const { endpoint } = await createWebhookEndpoint(deps, iris, { url: receiver.url });
      const rec = await requestExportAs(deps, iris, { ...inventory, bom: true });
      // Run the export, but hold webhook messages back to drive them by hand.
      const realNow = deps.now;
      let shift = 0;
      deps.now = () => new Date(Date.now() + shift);
      try {
        // First attempt fails (500) and schedules a second.
        await drainOnlyExport(rec.id);
        const msgs = await deps.deliveryQueue.receive({ max: 10, waitSeconds: 0, visibilitySeconds: 30 });
        expect(msgs).toHaveLength(1);
        await handleWebhookMessage(deps, msgs[0]!.body as ReturnType<typeof webhookDeliverMessage>);
        await deps.deliveryQueue.ack(msgs[0]!.receipt);
        let [log] = await listWebhookDeliveries(deps, iris, endpoint.id);
        expect(log).toMatchObject({ status: "pending", attempts: 1, lastStatusCode: 500, nextAttemptAt: expect.any(String) });
        expect(log!.lastError!.length).toBeLessThanOrEqual(220);
        expect(log!.lastError).toMatch(/^HTTP 500: failure number 1 x+$/);

        // 25 hours later the next attempt fails too, and that is the last.
        shift = 25 * 3600_000;
        const [next] = await deps.deliveryQueue.receive({ max: 1, waitSeconds: 0, visibilitySeconds: 30 });
        await handleWebhookMessage(deps, next!.body as ReturnType<typeof webhookDeliverMessage>);
        await deps.deliveryQueue.ack(next!.receipt);
        [log] = await listWebhookDeliveries(deps, iris, endpoint.id);
        expect(log).toMatchObject({ status: "failed", attempts: 2, lastStatusCode: 500, nextAttemptAt: null });
        expect(await deps.deliveryQueue.depth()).toBe(0);
      } finally {
        deps.now = realNow;
      }
    } finally {
      await receiver.close();
    }
  });

  it("follows no redirects and stops waiting after the timeout", async () => {
    const redirecting = await startReceiver([302], { location: "http://127.0.0.1:1/elsewhere" });
    const hanging = await startReceiver([200], { hang: true });
    try {
      const delivery = { id: "whd_x", endpointId: "whe_x", supplierId: "sup_rose", exportId: "exp_x", event: "export.ready" as const, payload: "{}", status: "pending" as const, attempts: 0, lastAttemptAt: null, lastStatusCode: null, lastError: null, nextAttemptAt: null, createdAt: new Date().toISOString() };
      const endpoint = (url: string) => ({ id: "whe_x", supplierId: "sup_rose", url, events: ["export.ready" as const], secret: "s", description: "", createdBy: "u", createdAt: "" });
      const redirect = await postWebhook(endpoint(redirecting.url), delivery, deps.webhooks.settings, new Date());
      expect(redirect).toEqual({ ok: false, statusCode: 302, error: "HTTP 302: redirects are not followed" });
      const started = Date.now();
      const timeout = await postWebhook(endpoint(hanging.url), delivery, deps.webhooks.settings, new Date());
      expect(timeout).toEqual({ ok: false, statusCode: null, error: "no answer within 0.5 s" });
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await redirecting.close();
      await hanging.close();
    }
  });

  it("accepts https, and http only on localhost where the setting allows it", () => {
    const local = { ...deps.webhooks.settings, allowHttpLocalhost: true, timeoutMs: 1000, retryBaseSeconds: 1, maxAgeSeconds: 60 };
    const strict = { ...local, allowHttpLocalhost: false };
    expect(checkEndpointUrl("https://erp.example.com/hook", strict)).toBe("https://erp.example.com/hook");
    expect(checkEndpointUrl("http://127.0.0.1:8080/hook", local)).toBe("http://127.0.0.1:8080/hook");
    expect(checkEndpointUrl("http://localhost/hook", local)).toBe("http://localhost/hook");
    for (const [url, settings] of [
      ["http://127.0.0.1:8080/hook", strict],
      ["http://erp.example.com/hook", local],
      ["ftp://erp.example.com/", local],
      ["https://user:pw@erp.example.com/", local],
      ["https://10.0.0.5/hook", local],
      ["https://169.254.169.254/latest/meta-data", local],
      ["https://[::ffff:192.168.1.1]/", local],
      ["https://127.0.0.1/hook", strict],
      ["not a url", local],
    ] as const) {
      expect(() => checkEndpointUrl(url, settings), url).toThrow(ApiError);
    }
  });
});

/** Runs the export's own messages until it is finished, leaving webhook messages in the queue. */
async function drainOnlyExport(exportId: string): Promise<void> {
  const { handleExportMessage } = await import("@/lib/exports/worker");
  for (let i = 0; i < 200; i++) {
    const rec = await deps.jobs.getExport(exportId);
    if (rec && ["ready", "failed", "cancelled"].includes(rec.status)) return;
    const [msg] = await deps.queue.receive({ max: 1, waitSeconds: 0, visibilitySeconds: 30 });
    if (!msg) {
      await new Promise((r) => setTimeout(r, 20));
      continue;
    }
    if ((msg.body as { type?: string }).type !== "export.process") {
      await deps.queue.release(msg.receipt, 0);
      continue;
    }
    const outcome = await handleExportMessage(deps, msg.body, { receiveCount: msg.receiveCount });
    if (outcome.kind === "done") await deps.queue.ack(msg.receipt);
    else await deps.queue.release(msg.receipt, outcome.delaySeconds);
  }
  throw new Error("export did not finish");
}
