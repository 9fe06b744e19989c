import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "better-sqlite3";
import { openSqlite } from "../adapters/local/sqlite";
import { SqliteRequestClaimStore } from "../adapters/local/sqlite-request-claim-store";
import { acquireSlots } from "./slots";

let db: Database;
let claims: SqliteRequestClaimStore;
beforeEach(() => {
  db = openSqlite(":memory:");
  claims = new SqliteRequestClaimStore(db);
});
afterEach(() => db.close());

describe("acquireSlots", () => {
  const now = new Date("2026-12-01T10:00:00Z");
  const caps = [{ name: "endpoint:a", limit: 2 }, { name: "supplier:s", limit: 3 }];

  it("hands out at most `limit` slots per name, and all-or-none across names", async () => {
    const a = await acquireSlots(claims, caps, "h1", 60, now);
    const b = await acquireSlots(claims, caps, "h2", 60, now);
    expect(a && b).toBeTruthy();
    expect(await acquireSlots(claims, caps, "h3", 60, now)).toBeNull();
    // The supplier cap still has one slot: h3's failed attempt gave back what it took.
    expect(await acquireSlots(claims, [{ name: "endpoint:b", limit: 1 }, { name: "supplier:s", limit: 3 }], "h4", 60, now)).not.toBeNull();
    await a!.release();
    // h1 gave back one endpoint and one supplier slot: room for exactly one more.
    expect(await acquireSlots(claims, caps, "h3", 60, now)).not.toBeNull();
    expect(await acquireSlots(claims, caps, "h5", 60, now)).toBeNull();
  });

  it("frees a dead holder's slot when it expires, and lets a holder re-take its own", async () => {
    await acquireSlots(claims, [{ name: "e", limit: 1 }], "dead", 30, now);
    expect(await acquireSlots(claims, [{ name: "e", limit: 1 }], "other", 30, now)).toBeNull();
    expect(await acquireSlots(claims, [{ name: "e", limit: 1 }], "dead", 30, now)).not.toBeNull();
    expect(await acquireSlots(claims, [{ name: "e", limit: 1 }], "other", 30, new Date(now.getTime() + 31_000))).not.toBeNull();
  });
});
