/**
 * The delivery lane (issue 12, finding 2): webhook endpoints that never
 * answer must not delay another supplier's exports. The real local worker
 * (`runWorker`, 2 export slots and 4 delivery slots, the default 10 s webhook
 * timeout) runs against hostile receivers that accept a request and never
 * answer; another supplier's small exports are timed before and while they
 * hang. Before the lane, webhook attempts shared the export slots: the issue
 * measured 0.1 s -> 99 s.
 */
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppDeps } from "@/lib/config";
import { requestExportAs as requestExport } from "@/test/support/request-export";
import { circuitOpenUntil, circuitState } from "@/lib/webhooks/deliveries";
import { createWebhookEndpoint, listWebhookDeliveries } from "@/lib/webhooks/endpoints";
import type { WebhookDeliveryRecord } from "@/lib/ports";
import type { Actor } from "@/lib/core/actor";
import { makeLocalDeps, rose, seededWarehouse } from "@/test/support/local-env";
import { runWorker } from "@/workers/runner";

/** A receiver that takes requests and never answers; counts requests in flight, overall and at most. */
async function startHangingReceiver() {
  let open = 0;
  let maxOpen = 0;
  let total = 0;
  const server = http.createServer((req) => {
    open++;
    total++;
    maxOpen = Math.max(maxOpen, open);
    req.on("close", () => open--);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    stats: () => ({ open, maxOpen, total }),
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

async function until<T>(what: string, fn: () => Promise<T | undefined | null | false> | T | undefined | null | false, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function supplier(name: string): Actor {
  return { userId: `usr_${name}`, email: `${name}@suppliers.test`, role: "supplier", supplierId: `sup_${name}` };
}

let warehouse: { dbPath: string; dir: string };
const opened: (AppDeps & { dataDir: string })[] = [];

beforeAll(async () => {
  warehouse = await seededWarehouse(2_000);
});
afterAll(async () => {
  for (const d of opened) {
    await d.close();
    await fs.rm(d.dataDir, { recursive: true, force: true });
  }
  await fs.rm(warehouse.dir, { recursive: true, force: true });
});

/** Requests a small export as `who` and returns the milliseconds until it is ready. */
async function timeExport(deps: AppDeps, who: Actor): Promise<number> {
  const started = performance.now();
  const rec = await requestExport(deps, who, { dataset: "product_detail", params: {}, notify: false });
  await until(`${rec.id} ready`, async () => (await deps.jobs.getExport(rec.id))?.status === "ready");
  return performance.now() - started;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe("the delivery lane", () => {
  it("keeps another supplier's exports at their usual time while ten endpoints never answer", { timeout: 90_000 }, async () => {
    const deps = await makeLocalDeps(warehouse.dbPath, { WEBHOOK_TIMEOUT_MS: "10000", WEBHOOK_RETRY_BASE_SECONDS: "0" });
    opened.push(deps);
    const controller = new AbortController();
    const running = runWorker(deps, { concurrency: 2, deliveryConcurrency: 4, signal: controller.signal, waitSeconds: 1, sweepIntervalMs: 0, graceMs: 100 });
    const hostile = await Promise.all(Array.from({ length: 10 }, () => startHangingReceiver()));
    try {
      const baseline: number[] = [];
      for (let i = 0; i < 5; i++) baseline.push(await timeExport(deps, rose));

      const evil = supplier("evil");
      for (const r of hostile) await createWebhookEndpoint(deps, evil, { url: r.url });
      const evilExports = await Promise.all(Array.from({ length: 3 }, () => requestExport(deps, evil, { dataset: "product_detail", params: {}, notify: false })));
      for (const e of evilExports) await until(`${e.id} ready`, async () => (await deps.jobs.getExport(e.id))?.status === "ready");
      // 30 deliveries scheduled; the supplier cap (4) lets 4 hang at once.
      await until("deliveries hanging", () => hostile.reduce((n, r) => n + r.stats().open, 0) >= 4);

      const during: number[] = [];
      for (let i = 0; i < 5; i++) during.push(await timeExport(deps, rose));
      const stillHanging = hostile.reduce((n, r) => n + r.stats().open, 0);

      console.log(
        `[delivery lane] rose's export, ms: without hostile endpoints median ${median(baseline).toFixed(0)} (${baseline.map((t) => t.toFixed(0)).join(", ")}); ` +
          `with 10 endpoints never answering median ${median(during).toFixed(0)} (${during.map((t) => t.toFixed(0)).join(", ")}); attempts hanging meanwhile: ${stillHanging}`,
      );
      expect(stillHanging).toBeGreaterThanOrEqual(1);
      // "Their usual time": within 3x the baseline median plus scheduling noise on a shared machine, and far below one 10 s webhook timeout.
      expect(median(during)).toBeLessThan(3 * median(baseline) + 500);
      expect(Math.max(...during)).toBeLessThan(5_000);
      // The caps held: one supplier never had more than 4 attempts in flight, one endpoint never more than 2.
      expect(Math.max(...hostile.map((r) => r.stats().maxOpen))).toBeLessThanOrEqual(2);
    } finally {
      controller.abort();
      await running;
      await Promise.all(hostile.map((r) => r.close()));
    }
  });

  it("caps attempts in flight per endpoint and per supplier across delivery slots", { timeout: 60_000 }, async () => {
    const deps = await makeLocalDeps(warehouse.dbPath, { WEBHOOK_TIMEOUT_MS: "3000", WEBHOOK_RETRY_BASE_SECONDS: "600", WEBHOOK_MAX_PER_ENDPOINT: "2", WEBHOOK_MAX_PER_SUPPLIER: "3" });
    opened.push(deps);
    const a = await startHangingReceiver();
    const b = await startHangingReceiver();
    const controller = new AbortController();
    const running = runWorker(deps, { concurrency: 2, deliveryConcurrency: 8, signal: controller.signal, waitSeconds: 1, sweepIntervalMs: 0, graceMs: 100 });
    try {
      const capped = supplier("capped");
      await createWebhookEndpoint(deps, capped, { url: a.url });
      await createWebhookEndpoint(deps, capped, { url: b.url });
      for (let i = 0; i < 4; i++) await requestExport(deps, capped, { dataset: "product_detail", params: {}, notify: false });
      // 8 deliveries, 8 delivery slots: without caps all 8 would hang at once.
      await until("three attempts hanging", () => a.stats().open + b.stats().open >= 3);
      await until("first round of timeouts", () => a.stats().total + b.stats().total >= 6, 20_000);
      expect(a.stats().maxOpen).toBeLessThanOrEqual(2);
      expect(b.stats().maxOpen).toBeLessThanOrEqual(2);
      expect(a.stats().open + b.stats().open).toBeLessThanOrEqual(3);
    } finally {
      controller.abort();
      await running;
      await a.close();
      await b.close();
    }
  });
});

describe("the circuit breaker", () => {
  const settings = { breakerFailures: 3, breakerCooldownSeconds: 300 } as AppDeps["webhooks"]["settings"];
  const base: WebhookDeliveryRecord = { id: "whd_1", endpointId: "whe_1", supplierId: "sup_x", exportId: "exp_1", event: "export.ready", payload: "{}", status: "pending", attempts: 1, lastAttemptAt: "2026-12-01T10:00:00.000Z", lastStatusCode: 500, lastError: "HTTP 500", nextAttemptAt: null, createdAt: "2026-12-01T10:00:00.000Z" };
  const storeOf = (deliveries: WebhookDeliveryRecord[]) => ({ listDeliveries: async () => deliveries }) as unknown as AppDeps["webhooks"]["store"];
  const at = (iso: string) => new Date(iso);

  it("opens when the last N deliveries all failed, for the cooldown after the newest failure, then lets attempts try again", async () => {
    const failed = [0, 1, 2].map((i) => ({ ...base, id: `whd_${i}`, lastAttemptAt: `2026-12-01T10:0${i}:00.000Z` }));
    const store = storeOf([...failed].reverse());
    expect(await circuitOpenUntil(store, "whe_1", settings, at("2026-12-01T10:03:00Z"))).toBe(Date.parse("2026-12-01T10:07:00Z"));
    expect(await circuitOpenUntil(store, "whe_1", settings, at("2026-12-01T10:07:01Z"))).toBeNull();
    expect(await circuitState(store, "whe_1", settings, at("2026-12-01T10:07:01Z"))).toEqual({ state: "half-open" });
    expect(await circuitState(storeOf([base, base]), "whe_1", settings, at("2026-12-01T10:07:01Z"))).toEqual({ state: "closed" });
  });

  it("lets one probe at a time through a half-open circuit, whatever the endpoint's cap", { timeout: 60_000 }, async () => {
    const deps = await makeLocalDeps(warehouse.dbPath, {
      WEBHOOK_TIMEOUT_MS: "5000",
      WEBHOOK_RETRY_BASE_SECONDS: "600",
      WEBHOOK_BREAKER_FAILURES: "2",
      WEBHOOK_BREAKER_COOLDOWN_SECONDS: "1",
      WEBHOOK_MAX_PER_ENDPOINT: "3",
    });
    opened.push(deps);
    let open = 0;
    let maxOpen = 0;
    let hits = 0;
    // Fails slowly, so attempts that are let through together overlap.
    const server = http.createServer((req, res) => {
      hits++;
      open++;
      maxOpen = Math.max(maxOpen, open);
      setTimeout(() => {
        open--;
        res.writeHead(503).end("down");
      }, 600);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const probed = supplier("probed");
    const controller = new AbortController();
    const running = runWorker(deps, { concurrency: 2, deliveryConcurrency: 4, signal: controller.signal, waitSeconds: 1, sweepIntervalMs: 0, graceMs: 100 });
    try {
      await createWebhookEndpoint(deps, probed, { url });
      for (let i = 0; i < 2; i++) {
        await requestExport(deps, probed, { dataset: "product_detail", params: {}, notify: false });
        await until(`failure ${i + 1}`, () => hits === i + 1 && open === 0);
      }
      // The circuit is open now; these three deliveries wait for its cooldown and then meet it half-open together.
      maxOpen = 0;
      await Promise.all(Array.from({ length: 3 }, () => requestExport(deps, probed, { dataset: "product_detail", params: {}, notify: false })));
      await until("three probes", () => hits >= 5 && open === 0, 40_000);
      // Before the probe slot: the cap (3) let all three through at once.
      expect(maxOpen).toBe(1);
    } finally {
      controller.abort();
      await running;
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it("stays closed with fewer failures, a success among the last N, or deliveries not yet attempted", async () => {
    const now = at("2026-12-01T10:03:00Z");
    expect(await circuitOpenUntil(storeOf([base, base]), "whe_1", settings, now)).toBeNull();
    expect(await circuitOpenUntil(storeOf([base, { ...base, status: "delivered", lastError: null, lastStatusCode: 200 }, base]), "whe_1", settings, now)).toBeNull();
    expect(await circuitOpenUntil(storeOf([{ ...base, attempts: 0, lastAttemptAt: null }, base, base, base]), "whe_1", settings, now)).not.toBeNull();
  });

  it("puts an attempt off, unsent and uncounted, while the endpoint's circuit is open", async () => {
    const deps = await makeLocalDeps(warehouse.dbPath, { WEBHOOK_TIMEOUT_MS: "500", WEBHOOK_RETRY_BASE_SECONDS: "600", WEBHOOK_BREAKER_FAILURES: "3" });
    opened.push(deps);
    let hits = 0;
    const server = http.createServer((_req, res) => {
      hits++;
      res.writeHead(503).end("down");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const flaky = supplier("flaky");
    try {
      const { endpoint } = await createWebhookEndpoint(deps, flaky, { url });
      const putOff: string[] = [];
      const send = deps.deliveryQueue.send.bind(deps.deliveryQueue);
      deps.deliveryQueue.send = (body, opts) => {
        const m = body as { deliveryId?: string; notBefore?: string };
        if (m.notBefore && m.deliveryId) putOff.push(m.deliveryId);
        return send(body, opts);
      };
      const controller = new AbortController();
      const running = runWorker(deps, { concurrency: 1, deliveryConcurrency: 1, signal: controller.signal, waitSeconds: 1, sweepIntervalMs: 0, graceMs: 100 });
      try {
        for (let i = 0; i < 3; i++) {
          await requestExport(deps, flaky, { dataset: "product_detail", params: {}, notify: false });
          await until(`attempt ${i + 1}`, () => hits === i + 1);
        }
        const fourth = await requestExport(deps, flaky, { dataset: "product_detail", params: {}, notify: false });
        await until("fourth export ready", async () => (await deps.jobs.getExport(fourth.id))?.status === "ready");
        // Its delivery is put off to the end of the cooldown, unsent: still 3 requests, 0 attempts.
        const [newest] = await until("fourth delivery put off", async () => {
          const list = await listWebhookDeliveries(deps, flaky, endpoint.id);
          return list.length === 4 && putOff.includes(list[0]!.id) ? list : null;
        });
        expect(hits).toBe(3);
        expect(newest).toMatchObject({ exportId: fourth.id, attempts: 0, status: "pending" });
      } finally {
        controller.abort();
        await running;
      }
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
