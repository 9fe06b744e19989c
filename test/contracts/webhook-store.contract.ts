/**
 * Contract for `WebhookStore` (lib/ports.ts), run against SQLite and DynamoDB.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { WebhookDeliveryRecord, WebhookEndpointRecord, WebhookStore } from "@/lib/ports";
import { newId } from "@/lib/core/ids";

type MakeWebhookStore = () => Promise<{ store: WebhookStore; cleanup: () => Promise<void> }>;

function endpoint(overrides: Partial<WebhookEndpointRecord> = {}): WebhookEndpointRecord {
  return {
    id: newId("whe"),
    supplierId: "sup_rose",
    url: "https://erp.example.com/hooks/exports",
    events: ["export.ready", "export.failed"],
    secret: "whsec_test",
    description: "ERP",
    createdBy: "usr_rose",
    createdAt: "2026-01-01T10:00:00.000Z",
    ...overrides,
  };
}

function delivery(endpointId: string, overrides: Partial<WebhookDeliveryRecord> = {}): WebhookDeliveryRecord {
  return {
    id: newId("whd"),
    endpointId,
    supplierId: "sup_rose",
    exportId: newId("exp"),
    event: "export.ready",
    payload: JSON.stringify({ hello: "world" }),
    status: "pending",
    attempts: 0,
    lastAttemptAt: null,
    lastStatusCode: null,
    lastError: null,
    nextAttemptAt: null,
    createdAt: "2026-01-01T10:00:00.000Z",
    ...overrides,
  };
}

export function testWebhookStore(make: MakeWebhookStore): void {
  describe("WebhookStore contract", () => {
    let store: WebhookStore;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ store, cleanup } = await make());
    });
    afterEach(async () => {
      await cleanup();
    });

    it("stores endpoints, lists a supplier's newest first, deletes only its own", async () => {
      const a = endpoint({ createdAt: "2026-01-01T10:00:00.000Z" });
      const b = endpoint({ createdAt: "2026-01-02T10:00:00.000Z", events: ["export.failed"] });
      const other = endpoint({ supplierId: "sup_tulip" });
      for (const e of [a, b, other]) await store.createEndpoint(e);
      expect(await store.getEndpoint(b.id)).toEqual(b);
      expect((await store.listEndpoints("sup_rose")).map((e) => e.id)).toEqual([b.id, a.id]);
      expect(await store.deleteEndpoint(other.id, "sup_rose")).toBe(false);
      expect(await store.deleteEndpoint(a.id, "sup_rose")).toBe(true);
      expect(await store.getEndpoint(a.id)).toBeNull();
      expect((await store.listEndpoints("sup_tulip")).map((e) => e.id)).toEqual([other.id]);
    });

    it("creates a delivery once, records attempts with compare-and-set, lists newest first", async () => {
      const e = endpoint();
      await store.createEndpoint(e);
      const d1 = delivery(e.id, { createdAt: "2026-01-01T10:00:00.000Z" });
      const d2 = delivery(e.id, { createdAt: "2026-01-01T11:00:00.000Z" });
      expect(await store.createDelivery(d1)).toBe(true);
      expect(await store.createDelivery({ ...d1, payload: "other" })).toBe(false);
      expect(await store.createDelivery(d2)).toBe(true);
      expect(await store.getDelivery(d1.id)).toEqual(d1);

      const patch = {
        status: "pending" as const,
        attempts: 1,
        lastAttemptAt: "2026-01-01T10:00:01.000Z",
        lastStatusCode: 500,
        lastError: "HTTP 500: oops",
        nextAttemptAt: "2026-01-01T10:00:31.000Z",
      };
      expect(await store.recordAttempt(d1.id, 0, patch)).toBe(true);
      expect(await store.recordAttempt(d1.id, 0, patch)).toBe(false);
      expect(await store.getDelivery(d1.id)).toEqual({ ...d1, ...patch });
      const done = { status: "delivered" as const, attempts: 2, lastAttemptAt: "2026-01-01T10:00:32.000Z", lastStatusCode: 204, lastError: null, nextAttemptAt: null };
      expect(await store.recordAttempt(d1.id, 1, done)).toBe(true);
      expect(await store.getDelivery(d1.id)).toEqual({ ...d1, ...done });

      expect((await store.listDeliveries(e.id, 10)).map((d) => d.id)).toEqual([d2.id, d1.id]);
      expect((await store.listDeliveries(e.id, 1)).map((d) => d.id)).toEqual([d2.id]);
    });
  });
}
