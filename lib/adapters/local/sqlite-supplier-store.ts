import type { Database } from "better-sqlite3";
import { ApiError } from "@/lib/core/errors";
import type { SupplierRecord, SupplierStore } from "@/lib/ports";

const SUPPLIERS = "suppliers";

interface Row {
  id: string;
  name: string;
  created_at: string;
  disabled_at: string | null;
}

/** Suppliers for local mode, in the shared SQLite file. */
export class SqliteSupplierStore implements SupplierStore {
  constructor(private readonly db: Database) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS ${SUPPLIERS} (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        created_at TEXT NOT NULL,
        disabled_at TEXT
      );
    `);
  }

  async createSupplier(s: SupplierRecord): Promise<void> {
    try {
      this.db.prepare(`INSERT INTO ${SUPPLIERS} (id, name, created_at, disabled_at) VALUES (?, ?, ?, ?)`).run(s.id, s.name, s.createdAt, s.disabledAt);
    } catch (err) {
      if (err instanceof Error && String((err as { code?: unknown }).code).startsWith("SQLITE_CONSTRAINT")) {
        throw new ApiError("conflict", `A supplier with the id ${s.id} already exists.`);
      }
      throw err;
    }
  }

  async getSupplier(id: string): Promise<SupplierRecord | null> {
    const row = this.db.prepare(`SELECT * FROM ${SUPPLIERS} WHERE id = ?`).get(id) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  async listSuppliers(): Promise<SupplierRecord[]> {
    return (this.db.prepare(`SELECT * FROM ${SUPPLIERS} ORDER BY id`).all() as Row[]).map(fromRow);
  }

  async updateSupplier(s: SupplierRecord): Promise<void> {
    const { changes } = this.db.prepare(`UPDATE ${SUPPLIERS} SET name = ?, disabled_at = ? WHERE id = ?`).run(s.name, s.disabledAt, s.id);
    if (changes === 0) throw new ApiError("not_found", `Supplier ${s.id} does not exist.`);
  }
}

function fromRow(r: Row): SupplierRecord {
  return { id: r.id, name: r.name, createdAt: r.created_at, disabledAt: r.disabled_at };
}
