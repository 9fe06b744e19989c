/**
 * TEST ONLY: adds inventory rows to a local warehouse file while workers have
 * it open read-only. Like the seed, it writes a copy and renames it over the
 * original; the DuckDB warehouse reopens on the new inode before its next
 * statement (statements already running finish on the old file).
 */
import fs from "node:fs/promises";
import { DuckDBInstance } from "@duckdb/node-api";

export interface NewInventoryRow {
  sku: string;
  supplierId?: string;
  /** When the warehouse stamped the change (UTC ISO). */
  updatedAt: string;
}

const sqlTs = (iso: string) => `TIMESTAMP '${new Date(iso).toISOString().replace("T", " ").replace("Z", "")}'`;

export async function insertInventoryRows(dbPath: string, rows: NewInventoryRow[]): Promise<void> {
  const tmp = `${dbPath}.insert-${process.pid}-${Date.now()}`;
  await fs.copyFile(dbPath, tmp);
  try {
    const db = await DuckDBInstance.create(tmp);
    const con = await db.connect();
    try {
      for (const r of rows) {
        if (!/^[A-Z0-9-]{1,40}$/.test(r.sku)) throw new Error(`test SKU must be plain: ${r.sku}`);
        await con.run(
          `INSERT INTO rsdataapi.product_inventory VALUES ('${r.sku}', 9000, 'Test stem', 'Lisse DC', 7, 3, 1.25, ${sqlTs(r.updatedAt)}, '${r.supplierId ?? "sup_rose"}')`,
        );
      }
      await con.run("CHECKPOINT");
    } finally {
      con.closeSync();
      db.closeSync();
    }
    await fs.rm(`${dbPath}.wal`, { force: true });
    await fs.rename(tmp, dbPath);
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/** Rows of one supplier's inventory stamped before `instant` (read-only; workers may hold the file too). */
export async function countInventoryBefore(dbPath: string, supplierId: string, instant: string): Promise<number> {
  const db = await DuckDBInstance.create(dbPath, { access_mode: "READ_ONLY" });
  const con = await db.connect();
  try {
    const reader = await con.runAndReadAll(`SELECT count(*)::INTEGER FROM rsdataapi.product_inventory WHERE supplier_id = '${supplierId}' AND updated_at < ${sqlTs(instant)}`);
    return Number(reader.getRows()[0]![0]);
  } finally {
    con.closeSync();
    db.closeSync();
  }
}
