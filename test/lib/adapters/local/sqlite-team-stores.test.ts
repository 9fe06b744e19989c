/** The supplier and audit-log stores on SQLite: their contracts, plus the database-level append-only rule. */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openSqlite } from "@/lib/adapters/local/sqlite";
import { SqliteAuditStore } from "@/lib/adapters/local/sqlite-audit-store";
import { SqliteSupplierStore } from "@/lib/adapters/local/sqlite-supplier-store";
import { testAuditStore } from "@/test/contracts/audit-store.contract";
import { testSupplierStore } from "@/test/contracts/supplier-store.contract";

function sqlite<T>(build: (db: ReturnType<typeof openSqlite>) => T) {
  return async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "pep-teams-"));
    const db = openSqlite(path.join(dir, "jobs.sqlite"));
    return {
      store: build(db),
      db,
      cleanup: async () => {
        db.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  };
}

describe("SqliteSupplierStore", () => testSupplierStore(sqlite((db) => new SqliteSupplierStore(db))));
describe("SqliteAuditStore", () => {
  testAuditStore(sqlite((db) => new SqliteAuditStore(db)));

  it("refuses an UPDATE of an entry in the database itself, whoever sends it", async () => {
    const { store, db, cleanup } = await sqlite((d) => new SqliteAuditStore(d))();
    try {
      await store.append({ id: "aud_1", at: "2026-01-01T00:00:00.000Z", action: "signin", actorId: "usr_1", actorEmail: "a@x.test", via: "session", supplierId: null, target: null, ip: null, userAgent: null, detail: null });
      expect(() => db.prepare("UPDATE audit_log SET action = 'nothing'").run()).toThrow(/append-only/);
      expect((await store.list({ limit: 5 })).items[0]?.action).toBe("signin");
    } finally {
      await cleanup();
    }
  });
});
