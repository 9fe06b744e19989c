/**
 * Contract for `RequestClaimStore` (lib/ports.ts), run against SQLite and DynamoDB.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RequestClaim, RequestClaimStore } from "@/lib/ports";

type MakeRequestClaimStore = () => Promise<{ store: RequestClaimStore; cleanup: () => Promise<void> }>;

let n = 0;
function claim(overrides: Partial<RequestClaim> = {}): RequestClaim {
  n++;
  return {
    key: `idem:sup_rose:key-${n}-${Math.random().toString(36).slice(2)}`,
    exportId: `exp_${String(n).padStart(22, "0")}`,
    requestHash: "a".repeat(64),
    createdAt: "2026-01-01T10:00:00.000Z",
    expiresAt: "2026-01-02T10:00:00.000Z",
    ...overrides,
  };
}

const NOW = "2026-01-01T10:00:01.000Z";

export function testRequestClaimStore(make: MakeRequestClaimStore): void {
  describe("RequestClaimStore contract", () => {
    let store: RequestClaimStore;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ store, cleanup } = await make());
    });
    afterEach(async () => {
      await cleanup();
    });

    it("claims a free key, and returns the holder to a second claimant", async () => {
      const first = claim();
      expect(await store.claim(first, NOW)).toBeNull();
      const second = { ...claim(), key: first.key };
      expect(await store.claim(second, NOW)).toEqual(first);
    });

    it("lets exactly one of many concurrent claims win", async () => {
      const key = claim().key;
      const attempts = Array.from({ length: 20 }, () => ({ ...claim(), key }));
      const results = await Promise.all(attempts.map((c) => store.claim(c, NOW)));
      const winners = results.filter((r) => r === null);
      expect(winners).toHaveLength(1);
      const winner = attempts[results.indexOf(null)]!;
      for (const r of results) if (r) expect(r.exportId).toBe(winner.exportId);
    });

    it("treats an expired claim as absent", async () => {
      const old = claim({ expiresAt: "2026-01-01T10:00:00.500Z" });
      expect(await store.claim(old, NOW)).toBeNull();
      const fresh = { ...claim(), key: old.key };
      expect(await store.claim(fresh, NOW)).toBeNull();
      expect(await store.claim({ ...claim(), key: old.key }, NOW)).toEqual(fresh);
    });

    it("replaces a claim only while it is held for the expected export", async () => {
      const first = claim();
      await store.claim(first, NOW);
      const next = { ...claim(), key: first.key };
      expect(await store.replace(next, "exp_0000000000000000000000")).toBe(false);
      expect(await store.replace(next, first.exportId)).toBe(true);
      expect(await store.replace({ ...claim(), key: first.key }, first.exportId)).toBe(false);
      expect(await store.claim({ ...claim(), key: first.key }, NOW)).toEqual(next);
    });

    it("releases a claim only for its own export", async () => {
      const first = claim();
      await store.claim(first, NOW);
      await store.release(first.key, "exp_0000000000000000000000");
      expect(await store.claim({ ...claim(), key: first.key }, NOW)).toEqual(first);
      await store.release(first.key, first.exportId);
      expect(await store.claim({ ...claim(), key: first.key }, NOW)).toBeNull();
    });
  });
}
