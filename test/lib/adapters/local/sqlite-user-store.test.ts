/**
 * The SQLite user store: the UserStore contract, plus what only the local
 * adapter promises (it shares one SQLite file with the job store and survives a reopen).
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openSqlite } from "@/lib/adapters/local/sqlite";
import { SqliteJobStore } from "@/lib/adapters/local/sqlite-job-store";
import { SqliteUserStore } from "@/lib/adapters/local/sqlite-user-store";
import type { UserRecord } from "@/lib/ports";
import { testUserStore } from "@/test/contracts/user-store.contract";

async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "pep-users-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

const rose: UserRecord = {
  id: "usr_01jqabcdefghjkmnpqrstv",
  email: "rose@suppliers.test",
  name: "Rose",
  role: "supplier",
  supplierId: "sup_rose",
  supplierName: "Rose Supply Co",
  passwordHash: "scrypt$32768$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
  createdAt: "2025-03-01T10:00:00.000Z",
  membership: "owner",
  sessionVersion: 1,
  disabledAt: null,
};

describe("SqliteUserStore", () => {
  testUserStore(async () => {
    const { dir, remove } = await tempDir();
    const db = openSqlite(path.join(dir, "state.db"));
    return {
      store: new SqliteUserStore(db),
      cleanup: async () => {
        db.close();
        await remove();
      },
    };
  });

  it("keeps users across a reopen, next to the job store's tables", async () => {
    const { dir, remove } = await tempDir();
    try {
      const file = path.join(dir, "state.db");
      const first = openSqlite(file);
      new SqliteJobStore(first);
      await new SqliteUserStore(first).createUser(rose);
      first.close();

      const second = openSqlite(file);
      try {
        // Constructing again must not fail on the existing table (CREATE TABLE IF NOT EXISTS).
        const store = new SqliteUserStore(second);
        expect(await store.getUserByEmail("Rose@Suppliers.test")).toEqual(rose);
        const tables = second.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[];
        expect(tables.map((t) => t.name)).toContain("users");
      } finally {
        second.close();
      }
    } finally {
      await remove();
    }
  });

  it("adds the membership, session-version and disabled columns to a file made before them, keeping its supplier users as owners", async () => {
    const { dir, remove } = await tempDir();
    const db = openSqlite(path.join(dir, "state.db"));
    try {
      db.exec(`CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('supplier', 'admin')), supplier_id TEXT, supplier_name TEXT,
        password_hash TEXT NOT NULL, created_at TEXT NOT NULL)`);
      db.prepare(`INSERT INTO users VALUES (?, ?, ?, 'supplier', 'sup_rose', 'Rose Supply Co', ?, ?)`).run(rose.id, rose.email, rose.name, rose.passwordHash, rose.createdAt);
      const store = new SqliteUserStore(db);
      expect(await store.getUser(rose.id)).toEqual(rose);
      expect(await store.bumpSessionVersion(rose.id)).toBe(2);
    } finally {
      db.close();
      await remove();
    }
  });

  it("refuses a role other than supplier or admin at the storage level", async () => {
    const { dir, remove } = await tempDir();
    const db = openSqlite(path.join(dir, "state.db"));
    try {
      const store = new SqliteUserStore(db);
      await expect(store.createUser({ ...rose, role: "owner" as UserRecord["role"] })).rejects.toThrow(/CHECK constraint/);
    } finally {
      db.close();
      await remove();
    }
  });
});
