/**
 * The dataset catalog: strict filter schemas with messages for people, a
 * supplier scope that is always applied, and SQL that runs against a seeded
 * DuckDB and returns exactly the supplier's rows matching the filter.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { seedWarehouse } from "@/lib/adapters/local/seed-warehouse";
import { getDataset, listDatasets, parseDatasetParams } from "./catalog";
import { InvalidScopeError, type DatasetDefinition, type SupplierScope } from "./types";

const SUPPLIERS = ["sup_rose", "sup_tulip", "sup_orchid", "sup_lily"] as const;
const rose: SupplierScope = { kind: "supplier", supplierId: "sup_rose" };

function dataset(id: string): DatasetDefinition {
  const d = getDataset(id);
  if (!d) throw new Error(`no dataset ${id}`);
  return d;
}

/** The issues of a refused value, as `path: message`. Fails the test if the value is accepted. */
function refusal(id: string, raw: unknown): { path: string; message: string }[] {
  const result = parseDatasetParams(id, raw);
  if (result.ok) throw new Error(`accepted ${JSON.stringify(raw)} for ${id}`);
  return result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
}

describe("the catalog", () => {
  it("lists the three datasets, with columns that never include supplier_id", () => {
    expect(listDatasets().map((d) => d.id)).toEqual(["product_inventory", "product_detail", "customer_reviews"]);
    for (const d of listDatasets()) {
      expect(d.title.length).toBeGreaterThan(0);
      expect(d.description.length).toBeGreaterThan(0);
      expect(d.columns.map((c) => c.name)).not.toContain("supplier_id");
      for (const c of d.columns) expect(c.description.length).toBeGreaterThan(0);
    }
  });

  it("finds datasets by id only, not by inherited object keys", () => {
    expect(getDataset("product_detail")?.id).toBe("product_detail");
    for (const id of ["__proto__", "constructor", "toString", "PRODUCT_DETAIL", ""]) expect(getDataset(id)).toBeUndefined();
  });

  it("reports an unknown dataset as an issue on `dataset`", () => {
    expect(refusal("no_such_dataset", {})).toEqual([{ path: "dataset", message: "There is no such dataset." }]);
  });

  it("has schemas that JSON Schema can describe (the OpenAPI document is generated from them)", () => {
    for (const d of listDatasets()) {
      const schema = z.toJSONSchema(d.paramsSchema) as { additionalProperties?: unknown; type?: unknown };
      expect(schema.type).toBe("object");
      expect(schema.additionalProperties).toBe(false);
    }
  });
});

describe("filter schemas", () => {
  const refused: [string, unknown, string][] = [
    // [dataset, params, path of the issue]
    ["product_inventory", { supplierId: "sup_tulip" }, ""],
    ["product_inventory", { supplier_id: "sup_tulip" }, ""],
    ["product_inventory", { skus: ["FLOWER12"], extra: 1 }, ""],
    ["product_inventory", { skus: ["A' OR '1'='1"] }, "skus.0"],
    ["product_inventory", { skus: ["FLOWER12", "x; DROP"] }, "skus.1"],
    ["product_inventory", { skus: ["--"] }, "skus.0"],
    ["product_inventory", { skus: ["/* */"] }, "skus.0"],
    ["product_inventory", { skus: ["FLÖWER"] }, "skus.0"],
    ["product_inventory", { skus: ["A\\B"] }, "skus.0"],
    ["product_inventory", { skus: ["-LEADING-DASH"] }, "skus.0"],
    ["product_inventory", { skus: ["X".repeat(65)] }, "skus.0"],
    ["product_inventory", { skus: [] }, "skus"],
    ["product_inventory", { skus: Array.from({ length: 1001 }, (_, i) => `SKU${i}`) }, "skus"],
    ["product_inventory", { skus: "FLOWER12" }, "skus"],
    ["product_inventory", { skus: [12] }, "skus.0"],
    ["product_inventory", { skus: ["FLOWER12"], skuPrefix: "FLOWER" }, "skuPrefix"],
    ["product_inventory", { skuPrefix: "FLOWER%" }, "skuPrefix"],
    ["product_inventory", { skuPrefix: "/* */" }, "skuPrefix"],
    ["product_inventory", { skuPrefix: "" }, "skuPrefix"],
    ["product_inventory", { skuPrefix: "X".repeat(33) }, "skuPrefix"],
    ["product_inventory", { warehouse: "Rotterdam' --" }, "warehouse"],
    ["product_inventory", { warehouse: "Bogotá Farm" }, "warehouse"],
    ["product_inventory", { warehouse: "" }, "warehouse"],
    ["product_inventory", { warehouse: "x; DROP" }, "warehouse"],
    ["product_inventory", { lowStockOnly: "yes" }, "lowStockOnly"],
    ["product_inventory", { lowStockOnly: 1 }, "lowStockOnly"],
    ["product_inventory", { updatedSince: "yesterday" }, "updatedSince"],
    ["product_inventory", { updatedSince: "2025-02-30" }, "updatedSince"],
    ["product_inventory", { updatedSince: "2025-01-01' OR '1'='1" }, "updatedSince"],
    ["product_inventory", { updatedSince: 1735689600000 }, "updatedSince"],
    ["product_inventory", null, ""],
    ["product_inventory", [], ""],
    ["product_inventory", "skus=FLOWER12", ""],
    ["product_detail", { skus: ["FLOWER12"], warehouse: "Rotterdam" }, ""],
    ["product_detail", { skus: ["A' OR '1'='1"] }, "skus.0"],
    ["product_detail", { supplierId: "sup_tulip" }, ""],
    ["customer_reviews", { ratingMin: 0 }, "ratingMin"],
    ["customer_reviews", { ratingMax: 6 }, "ratingMax"],
    ["customer_reviews", { ratingMin: 2.5 }, "ratingMin"],
    ["customer_reviews", { ratingMin: "4" }, "ratingMin"],
    ["customer_reviews", { ratingMin: 4, ratingMax: 2 }, "ratingMax"],
    ["customer_reviews", { createdFrom: "2025-02-01", createdTo: "2025-01-31" }, "createdTo"],
    ["customer_reviews", { createdFrom: "2025-01-31T12:00:00Z", createdTo: "2025-01-31T11:59:59Z" }, "createdTo"],
    ["customer_reviews", { createdTo: "last week" }, "createdTo"],
    ["customer_reviews", { skus: ["x'; DROP TABLE rsdataapi.customer_reviews; --"] }, "skus.0"],
    ["customer_reviews", { supplierId: "sup_tulip", ratingMin: 1 }, ""],
  ];

  it.each(refused)("%s refuses %j (issue at %j) with a message for people", (id, params, issuePath) => {
    const issues = refusal(id, params);
    expect(issues.map((i) => i.path)).toContain(issuePath);
    for (const { message } of issues) {
      // zod's defaults ("Invalid input: expected string, received number") are not for people.
      expect(message).not.toMatch(/^Invalid|expected .* received|Unrecognized key/i);
      expect(message.length).toBeGreaterThan(10);
    }
  });

  it.each([
    ["product_inventory", {}],
    ["product_inventory", { skus: ["FLOWER12", "flower13", "A-1_b"] }],
    ["product_inventory", { skuPrefix: "FLOWER1", warehouse: "Amsterdam DC", lowStockOnly: true, updatedSince: "2024-06-01" }],
    ["product_inventory", { updatedSince: "2024-06-01T12:00:00+02:00", lowStockOnly: false }],
    ["product_detail", {}],
    ["product_detail", { skus: ["FLOWER12"] }],
    ["customer_reviews", {}],
    ["customer_reviews", { createdFrom: "2024-01-01", createdTo: "2024-01-01", ratingMin: 3, ratingMax: 3 }],
    ["customer_reviews", { createdFrom: "2024-01-01T10:00:00Z", createdTo: "2024-01-01" }],
    ["customer_reviews", { skus: ["FLOWER12"], ratingMin: 1, ratingMax: 5 }],
  ])("%s accepts %j unchanged", (id, params) => {
    const result = parseDatasetParams(id, params);
    expect(result).toEqual({ ok: true, params });
  });

  it("names the unknown filter, so a form can say which one", () => {
    const result = parseDatasetParams("product_inventory", { supplierId: "sup_tulip" });
    expect(result.ok).toBe(false);
    const issue = !result.ok ? result.error.issues[0] : undefined;
    expect(issue?.code).toBe("unrecognized_keys");
    expect(issue && "keys" in issue ? issue.keys : []).toEqual(["supplierId"]);
  });
});

describe("query building", () => {
  it("puts the supplier scope first, for every dataset and every filter", () => {
    for (const d of listDatasets()) {
      for (const supplierId of SUPPLIERS) {
        const sql = d.buildQuery({}, { kind: "supplier", supplierId });
        expect(sql).toContain(`WHERE supplier_id = '${supplierId}'`);
        expect(sql.split("\n")[0]).not.toMatch(/supplier_id/);
      }
    }
  });

  it("reads every supplier for the admin scope, and selects the declared columns in order", () => {
    for (const d of listDatasets()) {
      const sql = d.buildQuery({}, { kind: "all" });
      expect(sql).not.toMatch(/supplier_id/);
      expect(sql.split("\n")[0]).toBe(`SELECT ${d.columns.map((c) => c.name).join(", ")}`);
      // Rows keep the table's stored (sort-key) order instead of a sort (see renderSelect).
      expect(sql).not.toMatch(/ORDER BY/);
    }
  });

  it.each([
    ["quote injection", "sup_rose' OR '1'='1"],
    ["upper case", "SUP_ROSE"],
    ["empty", ""],
    ["too long", "s".repeat(41)],
    ["comment", "sup_rose--"],
    ["not a string", 42],
  ])("refuses a supplier scope with a malformed id (%s)", (_name, supplierId) => {
    for (const d of listDatasets()) {
      expect(() => d.buildQuery({}, { kind: "supplier", supplierId } as SupplierScope)).toThrow(InvalidScopeError);
    }
  });

  it("refuses a scope of unknown kind, or none", () => {
    const d = dataset("product_detail");
    expect(() => d.buildQuery({}, { kind: "everyone" } as unknown as SupplierScope)).toThrow(InvalidScopeError);
    expect(() => d.buildQuery({}, undefined as unknown as SupplierScope)).toThrow(InvalidScopeError);
  });

  it("re-validates params itself, so unvalidated input never reaches SQL", () => {
    const d = dataset("product_inventory");
    expect(() => d.buildQuery({ warehouse: "x' OR '1'='1" }, rose)).toThrow(z.ZodError);
    expect(() => d.buildQuery({ supplierId: "sup_tulip" }, rose)).toThrow(z.ZodError);
  });

  it("renders the filters with sql.ts: literals, upper-cased SKUs, whole-day end dates", () => {
    const inv = dataset("product_inventory").buildQuery(
      { skus: ["flower12", "FLOWER13"], warehouse: "Amsterdam DC", lowStockOnly: true, updatedSince: "2024-06-01T12:00:00+02:00" },
      rose,
    );
    expect(inv).toContain("sku IN ('FLOWER12', 'FLOWER13')");
    expect(inv).toContain("warehouse = 'Amsterdam DC'");
    expect(inv).toContain("qty_on_hand <= reorder_point");
    expect(inv).toContain("updated_at >= TIMESTAMP '2024-06-01 10:00:00.000'");
    expect(dataset("product_inventory").buildQuery({ skuPrefix: "flower1_" }, rose)).toContain("LEFT(sku, 8) = 'FLOWER1_'");
    const reviews = dataset("customer_reviews").buildQuery({ createdFrom: "2024-01-01", createdTo: "2024-01-31", ratingMin: 2, ratingMax: 4 }, rose);
    expect(reviews).toContain("created_at >= TIMESTAMP '2024-01-01 00:00:00.000'");
    expect(reviews).toContain("created_at < TIMESTAMP '2024-02-01 00:00:00.000'");
    expect(reviews).toContain("rating >= 2");
    expect(reviews).toContain("rating <= 4");
    expect(dataset("customer_reviews").buildQuery({ createdTo: "2024-01-31T10:00:00Z" }, rose)).toContain(
      "created_at <= TIMESTAMP '2024-01-31 10:00:00.000'",
    );
  });
});

describe("generated SQL on a seeded warehouse", () => {
  let dir: string;
  let instance: DuckDBInstance;
  let con: DuckDBConnection;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "pep-datasets-"));
    const dbPath = path.join(dir, "warehouse.duckdb");
    await seedWarehouse({ dbPath, rows: 8000, reviews: 4000 });
    instance = await DuckDBInstance.create(dbPath, { access_mode: "READ_ONLY" });
    con = await instance.connect();
  });

  afterAll(async () => {
    con?.closeSync();
    instance?.closeSync();
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function rows(sql: string): Promise<Record<string, unknown>[]> {
    expect((await con.extractStatements(sql)).count).toBe(1);
    return (await con.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  }

  async function count(sql: string): Promise<number> {
    return Number((await rows(sql))[0].n);
  }

  /** Each case: params, and the same filter written by hand (no supplier condition: the test adds it). */
  const cases: [string, Record<string, unknown>, string][] = [
    ["product_inventory", {}, "SELECT count(*) AS n FROM rsdataapi.product_inventory WHERE true"],
    ["product_inventory", { lowStockOnly: true }, "SELECT count(*) AS n FROM rsdataapi.product_inventory WHERE qty_on_hand <= reorder_point"],
    ["product_inventory", { warehouse: "Rotterdam" }, "SELECT count(*) AS n FROM rsdataapi.product_inventory WHERE warehouse = 'Rotterdam'"],
    ["product_inventory", { skuPrefix: "flower10" }, "SELECT count(*) AS n FROM rsdataapi.product_inventory WHERE sku LIKE 'FLOWER10%'"],
    [
      "product_inventory",
      { skus: ["FLOWER12", "flower13", "FLOWER14", "FLOWER61", "FLOWER62", "NOPE"] },
      "SELECT count(*) AS n FROM rsdataapi.product_inventory WHERE sku IN ('FLOWER12', 'FLOWER13', 'FLOWER14', 'FLOWER61', 'FLOWER62')",
    ],
    [
      "product_inventory",
      { updatedSince: "2025-01-01", lowStockOnly: true, warehouse: "Amsterdam DC" },
      "SELECT count(*) AS n FROM rsdataapi.product_inventory WHERE updated_at >= '2025-01-01' AND qty_on_hand <= reorder_point AND warehouse = 'Amsterdam DC'",
    ],
    ["product_detail", {}, "SELECT count(*) AS n FROM rsdataapi.product_detail WHERE true"],
    ["product_detail", { skus: ["FLOWER12", "FLOWER61"] }, "SELECT count(*) AS n FROM rsdataapi.product_detail WHERE sku IN ('FLOWER12', 'FLOWER61')"],
    ["customer_reviews", {}, "SELECT count(*) AS n FROM rsdataapi.customer_reviews WHERE true"],
    ["customer_reviews", { ratingMin: 4 }, "SELECT count(*) AS n FROM rsdataapi.customer_reviews WHERE rating >= 4"],
    ["customer_reviews", { ratingMin: 2, ratingMax: 3 }, "SELECT count(*) AS n FROM rsdataapi.customer_reviews WHERE rating BETWEEN 2 AND 3"],
    [
      "customer_reviews",
      { createdFrom: "2024-01-01", createdTo: "2024-03-31" },
      "SELECT count(*) AS n FROM rsdataapi.customer_reviews WHERE created_at >= '2024-01-01' AND created_at < '2024-04-01'",
    ],
  ];

  it.each(cases)("%s %j returns exactly the supplier's matching rows", async (id, params, handWritten) => {
    const d = dataset(id);
    let total = 0;
    for (const supplierId of SUPPLIERS) {
      const sql = d.buildQuery(params, { kind: "supplier", supplierId });
      const expected = await count(`${handWritten} AND supplier_id = '${supplierId}'`);
      expect(await count(`SELECT count(*) AS n FROM (${sql})`)).toBe(expected);
      // Every SKU in the result belongs to this supplier (SKUs are unique to a supplier).
      const foreign = await count(
        `SELECT count(*) AS n FROM (${sql}) q WHERE q.sku NOT IN (SELECT sku FROM rsdataapi.product_detail WHERE supplier_id = '${supplierId}')`,
      );
      expect(foreign).toBe(0);
      total += expected;
    }
    const all = d.buildQuery(params, { kind: "all" });
    expect(await count(`SELECT count(*) AS n FROM (${all})`)).toBe(await count(handWritten));
    expect(await count(handWritten)).toBe(total);
    if (Object.keys(params).length === 0) expect(total).toBeGreaterThan(0);
  });

  it("returns rows with exactly the declared columns, in a deterministic order", async () => {
    for (const d of listDatasets()) {
      const sql = d.buildQuery({}, { kind: "supplier", supplierId: "sup_lily" });
      const first = await rows(sql);
      expect(first.length).toBeGreaterThan(0);
      expect(Object.keys(first[0])).toEqual(d.columns.map((c) => c.name));
      expect(await rows(sql)).toEqual(first);
    }
    const inv = await rows(dataset("product_inventory").buildQuery({}, rose));
    const keys = inv.map((r) => `${r.sku}\u0000${r.warehouse}`);
    expect(keys).toEqual([...keys].sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b)))));
  });

  it("finds the seed article's products by SKU, case-insensitively", async () => {
    const found = await rows(dataset("product_detail").buildQuery({ skus: ["flower12", "FLOWER13", "Flower14"] }, rose));
    expect(found.map((r) => [r.sku, r.product_name])).toEqual([
      ["FLOWER12", "Rose"],
      ["FLOWER13", "Jasmine"],
      ["FLOWER14", "Other"],
    ]);
    expect(await rows(dataset("product_detail").buildQuery({ skus: ["FLOWER12"] }, { kind: "supplier", supplierId: "sup_tulip" }))).toEqual([]);
  });

  it("with a comma decimal mark, writes numeric columns only as text with a comma, same rows, same order", async () => {
    const inv = dataset("product_inventory");
    const cols = ["unit_cost", "sku", "qty_on_hand", "warehouse"];
    const dot = await rows(`SELECT CAST(unit_cost AS VARCHAR) AS unit_cost, sku, qty_on_hand, warehouse FROM (${inv.buildQuery({ lowStockOnly: true }, rose, cols)})`);
    const sql = inv.buildQuery({ lowStockOnly: true }, rose, cols, { decimalMark: "," });
    expect(sql.split("\n")[0]).toBe("SELECT REPLACE(CAST(unit_cost AS VARCHAR), '.', ',') AS unit_cost, sku, qty_on_hand, warehouse");
    const comma = await rows(sql);
    expect(comma.length).toBeGreaterThan(0);
    expect(comma).toEqual(dot.map((r) => ({ ...r, unit_cost: String(r.unit_cost).replace(".", ",") })));
    for (const r of comma) expect(r.unit_cost).toMatch(/^\d+,\d{2}$/);
    // No numeric column chosen, or the default mark: the query is the plain one.
    expect(inv.buildQuery({}, rose, ["sku", "qty_on_hand"], { decimalMark: "," })).toBe(inv.buildQuery({}, rose, ["sku", "qty_on_hand"]));
    expect(inv.buildQuery({}, rose, null, { decimalMark: "." })).toBe(inv.buildQuery({}, rose));
    for (const d of ["customer_reviews", "product_detail"]) expect(dataset(d).buildQuery({}, rose, null, { decimalMark: "," })).toBe(dataset(d).buildQuery({}, rose));
  });
});

describe("chosen columns", () => {
  it("renders only the chosen columns, in the chosen order, and keeps the scope", () => {
    const sql = dataset("product_inventory").buildQuery({ lowStockOnly: true }, rose, ["warehouse", "sku"]);
    expect(sql.split("\n")[0]).toBe("SELECT warehouse, sku");
    expect(sql).toContain("supplier_id = 'sup_rose'");
    expect(sql).toContain("qty_on_hand <= reorder_point");
  });

  it("renders every column in catalog order when none are chosen", () => {
    for (const d of listDatasets()) {
      expect(d.buildQuery({}, rose).split("\n")[0]).toBe(`SELECT ${d.columns.map((c) => c.name).join(", ")}`);
      expect(d.buildQuery({}, rose, null)).toBe(d.buildQuery({}, rose));
    }
  });

  it("refuses unknown, repeated and hostile names, naming them, and an empty list", () => {
    const d = dataset("customer_reviews");
    expect(() => d.buildQuery({}, rose, ["sku", "price"])).toThrow(/no such column: "price"/);
    expect(() => d.buildQuery({}, rose, ["sku", "sku"])).toThrow(/listed twice: "sku"/);
    expect(() => d.buildQuery({}, rose, ["supplier_id"])).toThrow(/no such column: "supplier_id"/);
    expect(() => d.buildQuery({}, rose, ["sku; DROP TABLE x"])).toThrow(/no such column/);
    expect(() => d.buildQuery({}, rose, [])).toThrow(/no columns chosen/);
  });
});
