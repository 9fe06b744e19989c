/** Contract for `AuditStore` (lib/ports.ts), run against SQLite and DynamoDB. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AuditEntry, AuditStore } from "@/lib/ports";
import { ApiError } from "@/lib/core/errors";
import { newId } from "@/lib/core/ids";

type MakeAuditStore = () => Promise<{ store: AuditStore; cleanup: () => Promise<void> }>;

function entry(minute: number, overrides: Partial<AuditEntry> = {}): AuditEntry {
  const at = new Date(Date.UTC(2026, 0, 10, 12, minute)).toISOString();
  return {
    id: newId("aud", Date.parse(at)),
    at,
    action: "export.requested",
    actorId: "usr_rose",
    actorEmail: "rose@suppliers.test",
    via: "session",
    supplierId: "sup_rose",
    target: `export:exp_${minute}`,
    ip: "203.0.113.7",
    userAgent: "Mozilla/5.0 (test)",
    detail: null,
    ...overrides,
  };
}

export function testAuditStore(make: MakeAuditStore): void {
  describe("AuditStore contract", () => {
    let store: AuditStore;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await make());
    });
    afterEach(async () => {
      await cleanup();
    });

    it("returns what was appended, field for field, newest first", async () => {
      const a = entry(1);
      const b = entry(2, { action: "token.created", via: "token:tok_1", detail: "scopes exports:read", ip: null, userAgent: null, target: null });
      const c = entry(3, { supplierId: null, actorId: null, actorEmail: "nobody@x.test", action: "signin.failed" });
      for (const e of [a, b, c]) await store.append(e);
      expect((await store.list({ limit: 10 })).items).toEqual([c, b, a]);
    });

    it("never overwrites: appending an id again keeps the first entry", async () => {
      const a = entry(1);
      await store.append(a);
      await store.append({ ...a, action: "signin", detail: "rewritten" });
      expect((await store.list({ limit: 10 })).items).toEqual([a]);
    });

    it("shows a supplier only its own entries; no supplier filter shows every entry", async () => {
      await store.append(entry(1));
      await store.append(entry(2, { supplierId: "sup_tulip", actorEmail: "tulip@suppliers.test" }));
      await store.append(entry(3, { supplierId: null }));
      expect((await store.list({ supplierId: "sup_rose", limit: 10 })).items.map((e) => e.supplierId)).toEqual(["sup_rose"]);
      expect((await store.list({ supplierId: "sup_tulip", limit: 10 })).items.map((e) => e.actorEmail)).toEqual(["tulip@suppliers.test"]);
      expect((await store.list({ limit: 10 })).items).toHaveLength(3);
    });

    it("filters by action, actor email and time range (from inclusive, to exclusive)", async () => {
      for (let m = 0; m < 6; m++) {
        await store.append(entry(m, { action: m % 2 ? "export.downloaded" : "export.requested", actorEmail: m < 3 ? "a@x.test" : "b@x.test" }));
      }
      const minutes = (items: AuditEntry[]) => items.map((e) => new Date(e.at).getUTCMinutes());
      expect(minutes((await store.list({ action: "export.downloaded", limit: 10 })).items)).toEqual([5, 3, 1]);
      expect(minutes((await store.list({ actorEmail: "a@x.test", supplierId: "sup_rose", limit: 10 })).items)).toEqual([2, 1, 0]);
      const from = new Date(Date.UTC(2026, 0, 10, 12, 2)).toISOString();
      const to = new Date(Date.UTC(2026, 0, 10, 12, 4)).toISOString();
      expect(minutes((await store.list({ from, to, limit: 10 })).items)).toEqual([3, 2]);
      expect(minutes((await store.list({ from, to, action: "export.requested", actorEmail: "a@x.test", limit: 10 })).items)).toEqual([2]);
    });

    it("pages with a cursor, filtered, without repeats or gaps", async () => {
      for (let m = 0; m < 25; m++) await store.append(entry(m, { action: m % 3 === 0 ? "signin" : "export.requested" }));
      for (const filter of [{}, { action: "export.requested" }, { supplierId: "sup_rose" }]) {
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.list({ ...filter, limit: 4, cursor });
          expect(page.items.length).toBeLessThanOrEqual(4);
          seen.push(...page.items.map((e) => e.id));
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        const all = (await store.list({ ...filter, limit: 100 })).items.map((e) => e.id);
        expect(seen).toEqual(all);
        expect(new Set(seen).size).toBe(seen.length);
      }
    });

    it("refuses a malformed cursor with bad_request", async () => {
      const err = await store.list({ limit: 5, cursor: "not-a-cursor" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).code).toBe("bad_request");
    });

    it("prunes entries older than the retention bound, and only those", async () => {
      for (let m = 0; m < 5; m++) await store.append(entry(m));
      const before = new Date(Date.UTC(2026, 0, 10, 12, 2)).toISOString();
      expect(await store.prune(before)).toBe(2);
      expect((await store.list({ limit: 10 })).items.map((e) => new Date(e.at).getUTCMinutes())).toEqual([4, 3, 2]);
    });
  });
}
