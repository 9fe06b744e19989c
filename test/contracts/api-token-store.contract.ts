/**
 * Contract for `ApiTokenStore` (lib/ports.ts), run against SQLite and DynamoDB.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import type { ApiTokenRecord, ApiTokenStore } from "@/lib/ports";
import { ApiError } from "@/lib/core/errors";
import { newId } from "@/lib/core/ids";

type MakeApiTokenStore = () => Promise<{ store: ApiTokenStore; cleanup: () => Promise<void> }>;

function token(overrides: Partial<ApiTokenRecord> = {}): ApiTokenRecord {
  return {
    id: newId("tok"),
    prefix: randomBytes(6).toString("hex"),
    secretHash: randomBytes(32).toString("hex"),
    name: "ERP sync",
    userId: "usr_rose",
    supplierId: "sup_rose",
    createdAt: "2026-01-01T10:00:00.000Z",
    lastUsedAt: null,
    revokedAt: null,
    scopes: ["exports:read", "exports:write"],
    expiresAt: null,
    ...overrides,
  };
}

export function testApiTokenStore(make: MakeApiTokenStore): void {
  describe("ApiTokenStore contract", () => {
    let store: ApiTokenStore;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ store, cleanup } = await make());
    });
    afterEach(async () => {
      await cleanup();
    });

    it("stores a token and finds it by prefix, exactly as stored", async () => {
      const t = token();
      await store.createToken(t);
      expect(await store.getTokenByPrefix(t.prefix)).toEqual(t);
      expect(await store.getTokenByPrefix("000000000000")).toBeNull();
    });

    it("refuses a second token with the same prefix", async () => {
      const t = token();
      await store.createToken(t);
      const err = await store.createToken(token({ prefix: t.prefix })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).code).toBe("conflict");
    });

    it("lists one supplier's tokens, newest first, and no one else's", async () => {
      const a = token({ createdAt: "2026-01-01T10:00:00.000Z" });
      const b = token({ createdAt: "2026-01-02T10:00:00.000Z" });
      const other = token({ supplierId: "sup_tulip", userId: "usr_tulip" });
      for (const t of [a, b, other]) await store.createToken(t);
      expect((await store.listTokens("sup_rose")).map((t) => t.id)).toEqual([b.id, a.id]);
      expect((await store.listTokens("sup_tulip")).map((t) => t.id)).toEqual([other.id]);
      expect(await store.listTokens("sup_none")).toEqual([]);
    });

    it("revokes a supplier's own token once, keeping the first time; another supplier cannot", async () => {
      const t = token();
      await store.createToken(t);
      expect(await store.revokeToken(t.id, "sup_tulip", "2026-01-03T00:00:00.000Z")).toBeNull();
      expect((await store.getTokenByPrefix(t.prefix))?.revokedAt).toBeNull();
      const revoked = await store.revokeToken(t.id, "sup_rose", "2026-01-03T00:00:00.000Z");
      expect(revoked?.revokedAt).toBe("2026-01-03T00:00:00.000Z");
      const again = await store.revokeToken(t.id, "sup_rose", "2026-01-04T00:00:00.000Z");
      expect(again?.revokedAt).toBe("2026-01-03T00:00:00.000Z");
      expect(await store.revokeToken(newId("tok"), "sup_rose", "2026-01-03T00:00:00.000Z")).toBeNull();
    });

    it("keeps scopes and expiry field for field", async () => {
      const t = token({ scopes: ["webhooks:manage"], expiresAt: "2026-02-01T00:00:00.000Z" });
      await store.createToken(t);
      expect(await store.getTokenByPrefix(t.prefix)).toEqual(t);
    });

    it("revokes every unrevoked token of one user in one supplier, and nobody else's", async () => {
      const mine = [token({ userId: "usr_a" }), token({ userId: "usr_a" })];
      const already = token({ userId: "usr_a", revokedAt: "2026-01-01T11:00:00.000Z" });
      const colleague = token({ userId: "usr_b" });
      const elsewhere = token({ userId: "usr_a", supplierId: "sup_tulip" });
      for (const t of [...mine, already, colleague, elsewhere]) await store.createToken(t);
      expect(await store.revokeUserTokens("sup_rose", "usr_a", "2026-01-02T00:00:00.000Z")).toBe(2);
      for (const t of mine) expect((await store.getTokenByPrefix(t.prefix))?.revokedAt).toBe("2026-01-02T00:00:00.000Z");
      expect((await store.getTokenByPrefix(already.prefix))?.revokedAt).toBe("2026-01-01T11:00:00.000Z");
      expect((await store.getTokenByPrefix(colleague.prefix))?.revokedAt).toBeNull();
      expect((await store.getTokenByPrefix(elsewhere.prefix))?.revokedAt).toBeNull();
      expect(await store.revokeUserTokens("sup_rose", "usr_a", "2026-01-03T00:00:00.000Z")).toBe(0);
    });

    it("updates lastUsedAt only when unset or older than staleBefore", async () => {
      const t = token();
      await store.createToken(t);
      await store.touchToken(t.prefix, "2026-01-01T12:00:00.000Z", "2026-01-01T11:59:00.000Z");
      expect((await store.getTokenByPrefix(t.prefix))?.lastUsedAt).toBe("2026-01-01T12:00:00.000Z");
      // 30 s later: still fresh, no write.
      await store.touchToken(t.prefix, "2026-01-01T12:00:30.000Z", "2026-01-01T11:59:30.000Z");
      expect((await store.getTokenByPrefix(t.prefix))?.lastUsedAt).toBe("2026-01-01T12:00:00.000Z");
      // 2 min later: stale, written.
      await store.touchToken(t.prefix, "2026-01-01T12:02:00.000Z", "2026-01-01T12:01:00.000Z");
      expect((await store.getTokenByPrefix(t.prefix))?.lastUsedAt).toBe("2026-01-01T12:02:00.000Z");
      // An unknown prefix is a no-op.
      await store.touchToken("000000000000", "2026-01-01T12:02:00.000Z", "2026-01-01T12:01:00.000Z");
    });
  });
}
