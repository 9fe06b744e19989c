/**
 * Export formats, chosen columns and the zero-rows outcome, end to end
 * through the real local backends (DuckDB COPY, zip, disk store). Every file
 * is read back with a real reader: DuckDB's read_csv / read_json / read_parquet
 * and exceljs for XLSX.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DuckDBInstance } from "@duckdb/node-api";
import { getDataset } from "@/lib/datasets/catalog";
import { ApiError } from "@/lib/core/errors";
import { getDownloadUrl } from "@/lib/exports/service";
import { previewExport } from "@/lib/exports/preview";
import { requestExportAs as requestExport } from "@/test/support/request-export";
import type { AppDeps } from "@/lib/config";
import { drain, makeLocalDeps, rose, seededWarehouse } from "@/test/support/local-env";

let warehouse: { dbPath: string; dir: string };
let d: AppDeps;

beforeAll(async () => {
  warehouse = await seededWarehouse(20_000);
  d = await makeLocalDeps(warehouse.dbPath);
});

afterAll(async () => {
  await d?.close();
  await fs.rm(warehouse.dir, { recursive: true, force: true });
});

async function extract(archiveKey: string): Promise<{ dir: string; files: string[] }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "pep-fmt-"));
  const zipPath = path.join(dir, "a.zip");
  await fs.writeFile(zipPath, await d.archiveStore.openRead(archiveKey));
  execFileSync("unzip", ["-tq", zipPath]);
  execFileSync("unzip", ["-q", zipPath, "-d", path.join(dir, "x")]);
  return { dir, files: (await fs.readdir(path.join(dir, "x"))).sort().map((f) => path.join(dir, "x", f)) };
}

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  try {
    await con.run(`ATTACH '${warehouse.dbPath}' AS wh (READ_ONLY)`);
    return (await con.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    con.closeSync();
    db.closeSync();
  }
}

/** The rows a direct query of the warehouse gives for Rose's export, as text, in order. */
async function directRows(dataset: string, params: Record<string, unknown>, columns?: string[]) {
  const def = getDataset(dataset)!;
  const sql = def.buildQuery(def.paramsSchema.parse(params), { kind: "supplier", supplierId: "sup_rose" }, columns).replaceAll("rsdataapi.", "wh.rsdataapi.");
  const names = columns ?? def.columns.map((c) => c.name);
  return query(`SELECT ${names.map((n) => `CAST(${n} AS VARCHAR) AS ${n}`).join(", ")} FROM (${sql})`);
}

describe("export formats, read back with real readers", () => {
  it("CSV with chosen columns in the chosen order, semicolons and the BOM on by default", async () => {
    const columns = ["qty_on_hand", "sku", "warehouse"];
    const rec = await requestExport(d, rose, { dataset: "product_inventory", params: { lowStockOnly: true }, columns, delimiter: ";" });
    expect(rec.bom).toBe(true);
    const done = await drain(d, rec.id);
    expect(done.status).toBe("ready");
    const { dir, files } = await extract(done.archiveKey!);
    expect(files.map((f) => path.basename(f))).toEqual(["product_inventory.csv"]);
    const bytes = await fs.readFile(files[0]);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.subarray(3).toString("utf8").split("\n")[0]).toBe("qty_on_hand;sku;warehouse");
    const read = await query(`SELECT * FROM read_csv('${files[0]}', delim = ';', header = true, all_varchar = true)`);
    expect(read).toEqual(await directRows("product_inventory", { lowStockOnly: true }, columns));
    expect(read.length).toBe(done.rowCount);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("a semicolon CSV writes decimals with a comma (12,50), a comma CSV with a dot; the preview shows the file's values", async () => {
    const columns = ["sku", "unit_cost", "qty_on_hand"];
    const read = async (delimiter: "," | ";") => {
      const rec = await requestExport(d, rose, { dataset: "product_inventory", params: { lowStockOnly: true }, columns, delimiter });
      const done = await drain(d, rec.id);
      expect(done.status).toBe("ready");
      const { dir, files } = await extract(done.archiveKey!);
      const text = (await fs.readFile(files[0], "utf8")).replace(/^\uFEFF/, "");
      await fs.rm(dir, { recursive: true, force: true });
      return text.trimEnd().split("\n").map((line) => line.split(delimiter));
    };
    const semi = await read(";");
    const comma = await read(",");
    expect(semi[0]).toEqual(columns);
    expect(semi.length).toBeGreaterThan(1);
    for (const [, cost] of semi.slice(1)) expect(cost).toMatch(/^\d+,\d{2}$/);
    for (const [, cost] of comma.slice(1)) expect(cost).toMatch(/^\d+\.\d{2}$/);
    // The same rows, only the mark differs; integers and text are untouched.
    expect(semi).toEqual(comma.map((r, i) => (i === 0 ? r : [r[0], r[1].replace(".", ","), r[2]])));
    const preview = await previewExport(d, rose, { dataset: "product_inventory", params: { lowStockOnly: true }, columns, delimiter: ";" });
    expect(preview.rows).toEqual(semi.slice(1, 1 + preview.rows.length));
  });

  it("tab-separated CSV is named .tsv", async () => {
    const rec = await requestExport(d, rose, { dataset: "product_detail", params: {}, delimiter: "\t", bom: false });
    const done = await drain(d, rec.id);
    const { dir, files } = await extract(done.archiveKey!);
    expect(path.basename(files[0])).toBe("product_detail.tsv");
    const read = await query(`SELECT * FROM read_csv('${files[0]}', delim = '\t', header = true, all_varchar = true)`);
    expect(read).toEqual(await directRows("product_detail", {}));
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("JSON Lines: one object per line, DuckDB's read_json reads the same rows", async () => {
    const params = { ratingMin: 2 };
    const rec = await requestExport(d, rose, { dataset: "customer_reviews", params, format: "jsonl", columns: ["rating", "sku", "body"] });
    expect(rec.bom).toBe(false);
    const done = await drain(d, rec.id);
    expect(done.status).toBe("ready");
    const { dir, files } = await extract(done.archiveKey!);
    expect(files.map((f) => path.extname(f))).toEqual(files.map(() => ".jsonl"));
    const first = (await fs.readFile(files[0], "utf8")).split("\n")[0];
    expect(Object.keys(JSON.parse(first))).toEqual(["rating", "sku", "body"]);
    const list = files.map((f) => `'${f}'`).join(", ");
    const read = await query(`SELECT CAST(rating AS VARCHAR) AS rating, sku, body FROM read_json([${list}], format = 'newline_delimited')`);
    expect(read).toEqual(await directRows("customer_reviews", params, ["rating", "sku", "body"]));
    expect(read.length).toBe(done.rowCount);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("Parquet with chosen columns", async () => {
    const rec = await requestExport(d, rose, { dataset: "product_inventory", params: {}, format: "parquet", columns: ["unit_cost", "sku"] });
    const done = await drain(d, rec.id);
    const { dir, files } = await extract(done.archiveKey!);
    const list = files.map((f) => `'${f}'`).join(", ");
    const read = await query(`SELECT CAST(unit_cost AS VARCHAR) AS unit_cost, sku FROM read_parquet([${list}])`);
    expect(read).toEqual(await directRows("product_inventory", {}, ["unit_cost", "sku"]));
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("XLSX: one workbook, typed cells, the same rows as the warehouse", async () => {
    const columns = ["sku", "qty_on_hand", "unit_cost", "updated_at"];
    const rec = await requestExport(d, rose, { dataset: "product_inventory", params: { skuPrefix: "FLOWER1" }, format: "xlsx", columns });
    const done = await drain(d, rec.id);
    expect(done.status).toBe("ready");
    const { dir, files } = await extract(done.archiveKey!);
    expect(files.map((f) => path.basename(f))).toEqual(["product_inventory.xlsx"]);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(files[0]);
    const ws = wb.worksheets[0];
    expect(ws.getRow(1).values).toEqual([undefined, ...columns]);
    const direct = await directRows("product_inventory", { skuPrefix: "FLOWER1" }, columns);
    expect(ws.rowCount - 1).toBe(direct.length);
    expect(done.rowCount).toBe(direct.length);
    for (const [i, row] of direct.entries()) {
      const cells = ws.getRow(i + 2);
      expect(cells.getCell(1).value).toBe(row.sku);
      expect(cells.getCell(2).value).toBe(Number(row.qty_on_hand));
      expect(cells.getCell(3).value).toBe(Number(row.unit_cost));
      expect((cells.getCell(4).value as Date).toISOString().slice(0, 19).replace("T", " ")).toBe(String(row.updated_at).slice(0, 19));
    }
    await fs.rm(dir, { recursive: true, force: true });
  });
});

describe("columns", () => {
  it("refuses unknown and repeated columns with a 400 that names them", async () => {
    const err = await requestExport(d, rose, { dataset: "product_inventory", params: {}, columns: ["sku", "price", "sku", "supplier_id"] }).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(400);
    expect((err as ApiError).message).toContain('"price"');
    expect((err as ApiError).message).toContain('"supplier_id"');
    expect((err as ApiError).message).toMatch(/listed twice: "sku"/);
  });
});

describe("zero rows", () => {
  it("is its own outcome: ready with no rows, no archive, no download, and an email that says so", async () => {
    const rec = await requestExport(d, rose, { dataset: "product_inventory", params: { skuPrefix: "NOSUCHSKU" } });
    const done = await drain(d, rec.id);
    expect(done.status).toBe("ready");
    expect(done.rowCount).toBe(0);
    expect(done.archiveKey).toBeNull();
    expect(await d.archiveStore.list(`archives/sup_rose/${rec.id}`)).toEqual([]);
    const err = await getDownloadUrl(d, rose, rec.id).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).message).toMatch(/No rows matched these filters/);
    const mail = (await d.mailer.listSent(50))!.find((m) => m.text.includes(rec.id));
    expect(mail?.subject).toMatch(/no rows matched/i);
    expect(mail?.text).toContain("No rows matched these filters");
  });
});
