import type { Database } from "better-sqlite3";
import { ApiError } from "@/lib/core/errors";
import type { Membership, MembershipChange, UserRecord, UserRole, UserStore } from "@/lib/ports";

const USERS = "users";

interface Row {
  id: string;
  email: string;
  name: string;
  role: UserRole;
  supplier_id: string | null;
  supplier_name: string | null;
  password_hash: string;
  created_at: string;
  membership: Membership | null;
  session_version: number;
  disabled_at: string | null;
}

/** Columns added after the first release: added to an existing file on open (SQLite has no ADD COLUMN IF NOT EXISTS). */
const ADDED_COLUMNS: Record<string, string> = {
  membership: "TEXT CHECK (membership IN ('owner', 'member', 'viewer'))",
  session_version: "INTEGER NOT NULL DEFAULT 1",
  disabled_at: "TEXT",
};

/**
 * Portal users for local mode, in the same SQLite file as the export records.
 * Emails are stored lower-cased and the column is UNIQUE, so the
 * "one account per email" rule holds even if a caller forgets to normalise.
 */
export class SqliteUserStore implements UserStore {
  /** `db` is the shared handle from `openSqlite` (WAL mode, busy timeout). */
  constructor(private readonly db: Database) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS ${USERS} (
        id TEXT PRIMARY KEY,
        email TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('supplier', 'admin')),
        supplier_id TEXT,
        supplier_name TEXT,
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
    `);
    const have = new Set((db.prepare(`PRAGMA table_info(${USERS})`).all() as { name: string }[]).map((c) => c.name));
    for (const [name, type] of Object.entries(ADDED_COLUMNS)) {
      if (!have.has(name)) db.exec(`ALTER TABLE ${USERS} ADD COLUMN ${name} ${type}`);
    }
    // Users made before memberships existed owned their supplier's account alone: they stay owners.
    if (!have.has("membership")) db.exec(`UPDATE ${USERS} SET membership = 'owner' WHERE role = 'supplier'`);
  }

  async createUser(user: UserRecord): Promise<void> {
    try {
      this.db
        .prepare(
          `INSERT INTO ${USERS} (id, email, name, role, supplier_id, supplier_name, password_hash, created_at, membership, session_version, disabled_at)
           VALUES (@id, @email, @name, @role, @supplier_id, @supplier_name, @password_hash, @created_at, @membership, @session_version, @disabled_at)`,
        )
        .run(toRow(user));
    } catch (err) {
      if (isConstraint(err, "SQLITE_CONSTRAINT_UNIQUE")) throw new ApiError("conflict", `A user with the email ${user.email.toLowerCase()} already exists.`);
      if (isConstraint(err, "SQLITE_CONSTRAINT_PRIMARYKEY")) throw new ApiError("conflict", `User ${user.id} already exists.`);
      throw err;
    }
  }

  async updateUser(user: UserRecord): Promise<void> {
    const { changes } = this.db
      .prepare(
        `UPDATE ${USERS} SET name = @name, role = @role, supplier_id = @supplier_id, supplier_name = @supplier_name,
           password_hash = @password_hash, membership = @membership, disabled_at = @disabled_at WHERE id = @id`,
      )
      .run(toRow(user));
    if (changes === 0) throw new ApiError("not_found", `User ${user.id} does not exist.`);
  }

  async bumpSessionVersion(id: string): Promise<number | null> {
    const row = this.db.prepare(`UPDATE ${USERS} SET session_version = session_version + 1 WHERE id = ? RETURNING session_version`).get(id) as
      | { session_version: number }
      | undefined;
    return row ? row.session_version : null;
  }

  async deleteUser(id: string): Promise<boolean> {
    return this.db.prepare(`DELETE FROM ${USERS} WHERE id = ?`).run(id).changes > 0;
  }

  async changeMembership(id: string, membership: Membership | null): Promise<MembershipChange> {
    // BEGIN IMMEDIATE takes the write lock before the count, so a second process (portal and
    // worker share the file) cannot count the same owners between our check and our write.
    const change = this.db.transaction((): MembershipChange => {
      const user = this.db.prepare(`SELECT * FROM ${USERS} WHERE id = ? AND role = 'supplier'`).get(id) as Row | undefined;
      if (!user) return "not_found";
      if (user.membership === "owner" && user.disabled_at === null && membership !== "owner") {
        const { owners } = this.db
          .prepare(`SELECT COUNT(*) AS owners FROM ${USERS} WHERE role = 'supplier' AND supplier_id = ? AND membership = 'owner' AND disabled_at IS NULL`)
          .get(user.supplier_id) as { owners: number };
        if (owners <= 1) return "last_owner";
      }
      if (membership === null) this.db.prepare(`DELETE FROM ${USERS} WHERE id = ?`).run(id);
      else this.db.prepare(`UPDATE ${USERS} SET membership = ? WHERE id = ?`).run(membership, id);
      return "changed";
    });
    return change.immediate();
  }

  async getUserByEmail(email: string): Promise<UserRecord | null> {
    const row = this.db.prepare(`SELECT * FROM ${USERS} WHERE email = ?`).get(email.trim().toLowerCase()) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  async getUser(id: string): Promise<UserRecord | null> {
    const row = this.db.prepare(`SELECT * FROM ${USERS} WHERE id = ?`).get(id) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  async listUsers(): Promise<UserRecord[]> {
    return (this.db.prepare(`SELECT * FROM ${USERS} ORDER BY email`).all() as Row[]).map(fromRow);
  }
}

function toRow(user: UserRecord): Row {
  return {
    id: user.id,
    email: user.email.trim().toLowerCase(),
    name: user.name,
    role: user.role,
    supplier_id: user.supplierId,
    supplier_name: user.supplierName,
    password_hash: user.passwordHash,
    created_at: user.createdAt,
    membership: user.membership,
    session_version: user.sessionVersion,
    disabled_at: user.disabledAt,
  };
}

function fromRow(row: Row): UserRecord {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    supplierId: row.supplier_id,
    supplierName: row.supplier_name,
    passwordHash: row.password_hash,
    createdAt: row.created_at,
    membership: row.membership,
    sessionVersion: row.session_version,
    disabledAt: row.disabled_at,
  };
}

function isConstraint(err: unknown, code: string): boolean {
  return err instanceof Error && (err as Error & { code?: unknown }).code === code;
}
