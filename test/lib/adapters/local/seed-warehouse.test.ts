/**
 * The demo warehouse: deterministic, with the supplier shares benchmarks rely
 * on, the seed article's products, rows stored in (supplier_id, sku) order,
 * and an atomic rebuild. Plus the CLI's --if-missing.
 */
import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DuckDBInstance } from "@duckdb/node-api";
import { seedWarehouse } from "@/lib/adapters/local/seed-warehouse";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "../../../..");
const TABLES = ["suppliers", "product_detail", "product_inventory", "customer_reviews"];

let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "pep-seed-"));
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** Runs queries on a read-only copy of the warehouse and returns their rows as JSON values. */
async function query(dbPath: string, ...sqls: string[]): Promise<unknown[][][]> {
  const instance = await DuckDBInstance.create(dbPath, { access_mode: "READ_ONLY" });
  const con = await instance.connect();
  try {
    const out: unknown[][][] = [];
    for (const sql of sqls) out.push((await con.runAndReadAll(sql)).getRowsJson() as unknown[][]);
    return out;
  } finally {
    con.closeSync();
    instance.closeSync();
  }
}

/** A hash of every table's full content and physical row order. */
function contentHash(table: string): string {
  return `SELECT '${table}', count(*), md5(string_agg(md5(t::VARCHAR), '' ORDER BY rowid)) FROM rsdataapi.${table} t`;
}

describe("seedWarehouse", () => {
  let dbPath: string;

  beforeAll(async () => {
    dbPath = path.join(dir, "warehouse.duckdb");
    const result = await seedWarehouse({ dbPath, rows: 20_000 });
    expect(result.rows).toBe(20_000);
    expect(result.seconds).toBeGreaterThan(0);
  });

  it("is deterministic: two seeds give identical content, row order included", async () => {
    const other = path.join(dir, "again", "warehouse.duckdb");
    await seedWarehouse({ dbPath: other, rows: 20_000 });
    const a = await query(dbPath, ...TABLES.map(contentHash));
    const b = await query(other, ...TABLES.map(contentHash));
    expect(a).toEqual(b);
    // And a different size really is different content (the hash is not trivially equal).
    const smaller = path.join(dir, "smaller.duckdb");
    await seedWarehouse({ dbPath: smaller, rows: 19_992 });
    expect(await query(smaller, contentHash("product_inventory"))).not.toEqual(await query(dbPath, contentHash("product_inventory")));
  });

  it("has the four suppliers, with their names and shares (sup_lily at 2%)", async () => {
    const [suppliers, shares] = await query(
      dbPath,
      "SELECT supplier_id, name FROM rsdataapi.suppliers ORDER BY supplier_id",
      "SELECT supplier_id, count(*) * 100.0 / sum(count(*)) OVER () FROM rsdataapi.product_inventory GROUP BY ALL ORDER BY 1",
    );
    expect(suppliers).toEqual([
      ["sup_lily", "Lily Lane Growers"],
      ["sup_orchid", "Orchidée & Fern"],
      ["sup_rose", "Rose Supply Co"],
      ["sup_tulip", "Tulip Traders"],
    ]);
    const share = Object.fromEntries(shares.map(([s, p]) => [s, Number(p)]));
    expect(share.sup_lily).toBeCloseTo(2, 0);
    expect(share.sup_orchid).toBeCloseTo(20, 0);
    expect(share.sup_rose).toBeCloseTo(48, 0);
    expect(share.sup_tulip).toBeCloseTo(30, 0);
  });

  it("has exactly `rows` inventory rows, reviews at rows/20 (at least 1000), and rows for every supplier in every table", async () => {
    const [counts, perSupplier] = await query(
      dbPath,
      "SELECT (SELECT count(*) FROM rsdataapi.product_inventory), (SELECT count(*) FROM rsdataapi.customer_reviews)",
      `SELECT count(DISTINCT d.supplier_id), count(DISTINCT r.supplier_id), count(DISTINCT i.supplier_id)
       FROM rsdataapi.product_detail d, rsdataapi.customer_reviews r, rsdataapi.product_inventory i
       WHERE d.sku = r.sku AND r.sku = i.sku`,
    );
    expect(counts).toEqual([["20000", "1000"]]);
    expect(perSupplier).toEqual([["4", "4", "4"]]);
    const small = path.join(dir, "tiny.duckdb");
    await seedWarehouse({ dbPath: small, rows: 10, reviews: 7 });
    expect(await query(small, "SELECT count(*) FROM rsdataapi.product_inventory", "SELECT count(*) FROM rsdataapi.customer_reviews")).toEqual([
      [["10"]],
      [["7"]],
    ]);
  });

  it("has the seed article's products and the data that exercises CSV quoting", async () => {
    const [seedProducts, quoting, lowStock, reviews, warehouses] = await query(
      dbPath,
      "SELECT sku, product_name, supplier_id FROM rsdataapi.product_detail WHERE sku IN ('FLOWER12', 'FLOWER13', 'FLOWER14') ORDER BY sku",
      `SELECT bool_or(product_name LIKE '%,%'), bool_or(product_name LIKE '%"%'), bool_or(regexp_matches(product_name, '[éèêŒœ]'))
       FROM rsdataapi.product_detail`,
      "SELECT count(*) FILTER (WHERE qty_on_hand <= reorder_point) * 1.0 / count(*) FROM rsdataapi.product_inventory",
      "SELECT min(rating), max(rating), bool_or(body LIKE '%' || chr(10) || '%'), bool_or(title LIKE '%,%'), bool_or(regexp_matches(title, '[éè]')) FROM rsdataapi.customer_reviews",
      "SELECT list(DISTINCT warehouse ORDER BY warehouse) FROM rsdataapi.product_inventory",
    );
    expect(seedProducts).toEqual([
      ["FLOWER12", "Rose", "sup_rose"],
      ["FLOWER13", "Jasmine", "sup_rose"],
      ["FLOWER14", "Other", "sup_rose"],
    ]);
    expect(quoting).toEqual([[true, true, true]]);
    const lowShare = Number(lowStock[0][0]);
    expect(lowShare).toBeGreaterThan(0.02);
    expect(lowShare).toBeLessThan(0.3);
    expect(reviews).toEqual([[1, 5, true, true, true]]);
    expect(warehouses[0][0]).toEqual(expect.arrayContaining(["Amsterdam DC", "Rotterdam", "Nairobi Farm"]));
  });

  it("stores every table in its sort-key order, the local twin of the Redshift sort key (exports rely on it instead of a sort)", async () => {
    const outOfOrder = (table: string, keys: string) =>
      `SELECT count(*) FROM (SELECT (${keys}) AS k, lag((${keys})) OVER (ORDER BY rowid) AS prev FROM rsdataapi.${table}) WHERE prev IS NOT NULL AND prev > k`;
    const [inventory, detail, reviews, sanity] = await query(
      dbPath,
      outOfOrder("product_inventory", "supplier_id, sku, warehouse"),
      outOfOrder("product_detail", "supplier_id, sku"),
      outOfOrder("customer_reviews", "supplier_id, created_at, review_id"),
      // The check can fail: the reviews are stored by date within a supplier, not by SKU.
      outOfOrder("customer_reviews", "supplier_id, sku"),
    );
    expect(inventory).toEqual([["0"]]);
    expect(detail).toEqual([["0"]]);
    expect(reviews).toEqual([["0"]]);
    expect(Number(sanity[0][0])).toBeGreaterThan(0);
  });

  it("rebuilds atomically over an existing file and leaves no temp files", async () => {
    const target = path.join(dir, "rebuild", "warehouse.duckdb");
    await seedWarehouse({ dbPath: target, rows: 100 });
    // A reader holding the old file keeps reading it while the new one is renamed in.
    const reader = await DuckDBInstance.create(target, { access_mode: "READ_ONLY" });
    const con = await reader.connect();
    await seedWarehouse({ dbPath: target, rows: 240 });
    expect((await con.runAndReadAll("SELECT count(*) FROM rsdataapi.product_inventory")).getRowsJson()).toEqual([["100"]]);
    con.closeSync();
    reader.closeSync();
    expect(await query(target, "SELECT count(*) FROM rsdataapi.product_inventory")).toEqual([[["240"]]]);
    expect(await fs.readdir(path.dirname(target))).toEqual(["warehouse.duckdb"]);
  });

  it("refuses a row count that is not a positive integer", async () => {
    for (const rows of [0, -1, 1.5, NaN]) {
      await expect(seedWarehouse({ dbPath: path.join(dir, "bad.duckdb"), rows })).rejects.toThrow(RangeError);
    }
    await expect(seedWarehouse({ dbPath: path.join(dir, "bad.duckdb"), rows: 10, reviews: 0 })).rejects.toThrow(RangeError);
    await expect(fs.access(path.join(dir, "bad.duckdb"))).rejects.toThrow();
  });
});

describe("scripts/seed.ts", () => {
  const tsx = path.join(ROOT, "node_modules", ".bin", "tsx");

  it("seeds the given file, and with --if-missing leaves an existing one alone", async () => {
    const db = path.join(dir, "cli", "w.duckdb");
    const first = await run(tsx, ["scripts/seed.ts", "--rows", "1_000", "--db", db, "--if-missing"], { cwd: ROOT });
    expect(first.stdout).toMatch(/seeded 1,000 rows/);
    const before = (await fs.stat(db)).mtimeMs;
    const second = await run(tsx, ["scripts/seed.ts", "--rows", "5000", "--db", db, "--if-missing"], { cwd: ROOT });
    expect(second.stdout).toMatch(/not seeding/);
    expect((await fs.stat(db)).mtimeMs).toBe(before);
    expect(await query(db, "SELECT count(*) FROM rsdataapi.product_inventory")).toEqual([[["1000"]]]);
  });

  it("defaults to the file the app opens: $DUCKDB_PATH, else $DATA_DIR/warehouse.duckdb", async () => {
    const dataDir = path.join(dir, "data-dir");
    await run(tsx, ["scripts/seed.ts", "--rows", "50"], { cwd: ROOT, env: { ...process.env, DUCKDB_PATH: "", DATA_DIR: dataDir } });
    expect(await query(path.join(dataDir, "warehouse.duckdb"), "SELECT count(*) FROM rsdataapi.product_inventory")).toEqual([[["50"]]]);
    const explicit = path.join(dir, "explicit.duckdb");
    await run(tsx, ["scripts/seed.ts", "--rows", "60"], { cwd: ROOT, env: { ...process.env, DUCKDB_PATH: explicit, DATA_DIR: dataDir } });
    expect(await query(explicit, "SELECT count(*) FROM rsdataapi.product_inventory")).toEqual([[["60"]]]);
  });

  it("refuses bad arguments with the usage text", async () => {
    await expect(run(tsx, ["scripts/seed.ts", "--rows", "many"], { cwd: ROOT })).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/Usage:/) });
    await expect(run(tsx, ["scripts/seed.ts", "--bogus"], { cwd: ROOT })).rejects.toMatchObject({ code: 2 });
  });
});
