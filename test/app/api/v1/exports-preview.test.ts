/**
 * POST /api/v1/exports/preview and GET /api/v1/datasets/{id}/options/{param},
 * called as real signed-in users against a whole local backend: the preview
 * is scoped and filtered exactly as the export, its rows are the export's
 * first rows, and the options list only the caller's own values.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { AppDeps } from "@/lib/config";
import type { UserRecord } from "@/lib/ports";
import { createUser } from "@/lib/users/users";
import { readCsvRecords } from "@/lib/formats/csv-records";
import { apiClient } from "@/test/support/api-client";
import { drain, makeLocalDeps, seededWarehouse } from "@/test/support/local-env";
import * as exportsRoute from "@/app/api/v1/exports/route";
import * as previewRoute from "@/app/api/v1/exports/preview/route";
import * as optionsRoute from "@/app/api/v1/datasets/[id]/options/[param]/route";

const state = vi.hoisted(() => ({ deps: undefined as AppDeps | undefined }));
vi.mock("@/lib/config", async (importOriginal) => {
  const actual = await importOriginal<typeof import("@/lib/config")>();
  return { ...actual, getDeps: () => state.deps! };
});

let warehouse: { dbPath: string; dir: string };
let deps: AppDeps & { dataDir: string };
let rose: UserRecord;
let tulip: UserRecord;
let admin: UserRecord;
const { call, sessionCookie } = apiClient(() => deps.config.authSecret);

beforeAll(async () => {
  warehouse = await seededWarehouse(20_000);
  deps = await makeLocalDeps(warehouse.dbPath);
  state.deps = deps;
  const make = (email: string, role: "supplier" | "admin", supplierId?: string) => createUser(deps.users, { email, password: "test-password-123", role, supplierId });
  [rose, tulip, admin] = await Promise.all([make("rose@suppliers.test", "supplier", "sup_rose"), make("tulip@suppliers.test", "supplier", "sup_tulip"), make("admin@acmeflowers.test", "admin")]);
});

afterAll(async () => {
  await deps?.close();
  if (deps) await fs.rm(deps.dataDir, { recursive: true, force: true });
  if (warehouse) await fs.rm(warehouse.dir, { recursive: true, force: true });
});

/** The records of the export's single CSV, header first. */
async function exportedRecords(archiveKey: string): Promise<(string | null)[][] & { bytes?: number }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "pep-prev-"));
  try {
    await fs.writeFile(path.join(dir, "a.zip"), await deps.archiveStore.openRead(archiveKey));
    execFileSync("unzip", ["-q", path.join(dir, "a.zip"), "-d", path.join(dir, "x")]);
    const [file] = await fs.readdir(path.join(dir, "x"));
    const text = (await fs.readFile(path.join(dir, "x", file))).toString("utf8").replace(/^\uFEFF/, "");
    const out: (string | null)[][] & { bytes?: number } = [];
    for await (const r of readCsvRecords([text])) out.push(r);
    out.bytes = Buffer.byteLength(text);
    return out;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

describe("POST /api/v1/exports/preview", () => {
  it("answers the count, columns and first rows, which are the export's first rows", async () => {
    const body = { dataset: "product_inventory", params: { lowStockOnly: true }, columns: ["warehouse", "sku", "qty_on_hand", "unit_cost"] };
    const preview = await call(previewRoute.POST, "/api/v1/exports/preview", { method: "POST", as: rose, body });
    expect(preview.status).toBe(200);
    expect(preview.body.columns.map((c: { name: string }) => c.name)).toEqual(body.columns);
    expect(preview.body.columns[3]).toMatchObject({ type: "decimal(10,2)" });
    expect(preview.body.count.kind).toBe("exact");
    expect(preview.body.rows).toHaveLength(20);
    expect(preview.body.estimatedBytes).toBeGreaterThan(0);

    const created = await call(exportsRoute.POST, "/api/v1/exports", { method: "POST", as: rose, body });
    expect(created.status).toBe(202);
    const done = await drain(deps, created.body.export.id);
    expect(done.rowCount).toBe(preview.body.count.rows);
    const records = await exportedRecords(done.archiveKey!);
    expect(records[0]).toEqual(body.columns);
    expect(records.slice(1, 21)).toEqual(preview.body.rows);
    // The estimate is from the first rows: within a factor of two of the uncompressed file.
    const ratio = preview.body.estimatedBytes / records.bytes!;
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });

  it("is scoped to the caller: another supplier's preview counts its own rows", async () => {
    const body = { dataset: "product_inventory", params: {} };
    const [r, t, a] = await Promise.all([rose, tulip, admin].map((as) => call(previewRoute.POST, "/api/v1/exports/preview", { method: "POST", as, body })));
    expect(r.body.count.rows).toBeGreaterThan(0);
    expect(t.body.count.rows).toBeGreaterThan(0);
    expect(a.body.count.rows).toBeGreaterThan(r.body.count.rows + t.body.count.rows - 1);
    const roseSkus = new Set(r.body.rows.map((row: string[]) => row[0]));
    for (const row of t.body.rows) expect(roseSkus.has(row[0])).toBe(false);
    const widened = await call(previewRoute.POST, "/api/v1/exports/preview", { method: "POST", as: rose, body: { ...body, supplierId: "sup_tulip" } });
    expect(widened.status).toBe(403);
  });

  it("warns about zero rows, and refuses unknown columns with a 400 naming them", async () => {
    const none = await call(previewRoute.POST, "/api/v1/exports/preview", { method: "POST", as: rose, body: { dataset: "product_inventory", params: { skuPrefix: "NOPE" } } });
    expect(none.status).toBe(200);
    expect(none.body.count).toEqual({ kind: "exact", rows: 0 });
    expect(none.body.rows).toEqual([]);
    expect(none.body.warnings.map((w: { code: string }) => w.code)).toEqual(["no_rows"]);
    const bad = await call(previewRoute.POST, "/api/v1/exports/preview", { method: "POST", as: rose, body: { dataset: "product_inventory", columns: ["sku", "colour"] } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('"colour"');
    const badFilter = await call(previewRoute.POST, "/api/v1/exports/preview", { method: "POST", as: rose, body: { dataset: "product_inventory", params: { skuPrefix: "no spaces" } } });
    expect(badFilter.status).toBe(400);
  });

  /**
   * A request the way Node's http server hands Next one whose client went away
   * mid-body (the form aborts a stale preview): the body stream fails with
   * Node's own `Error: aborted` (code ECONNRESET) and, where Next wires it, the
   * request's signal is aborted too.
   */
  async function abortedRequest(opts: { signal: boolean; error?: Error }): Promise<Request> {
    const cookie = await sessionCookie(rose);
    const controller = new AbortController();
    const error = opts.error ?? Object.assign(new Error("aborted"), { code: "ECONNRESET" });
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('{"dataset":"product_inv'));
      },
      pull(c) {
        if (opts.signal) controller.abort();
        c.error(error);
      },
    });
    return new Request("http://localhost:3000/api/v1/exports/preview", {
      method: "POST",
      headers: { cookie, "content-type": "application/json" },
      body,
      signal: controller.signal,
      duplex: "half",
    } as RequestInit);
  }

  it("a request its client aborted ends quietly: logged at debug, no 500 and no error in the log", async () => {
    const error = vi.spyOn(deps.log, "error");
    const warn = vi.spyOn(deps.log, "warn");
    const debug = vi.spyOn(deps.log, "debug");
    try {
      for (const signal of [true, false]) {
        const res = await previewRoute.POST(await abortedRequest({ signal }), { params: Promise.resolve({}) });
        expect(res.status).toBe(499);
      }
      expect(error).not.toHaveBeenCalled();
      expect(warn).not.toHaveBeenCalled();
      expect(debug).toHaveBeenCalledTimes(2);
      expect(debug).toHaveBeenCalledWith({ method: "POST", path: "/api/v1/exports/preview" }, "request aborted by the client");
      // Any other failure reading the body is still ours: a 500, logged as an error.
      const other = await previewRoute.POST(await abortedRequest({ signal: false, error: new Error("disk on fire") }), { params: Promise.resolve({}) });
      expect(other.status).toBe(500);
      expect(error).toHaveBeenCalledTimes(1);
    } finally {
      error.mockRestore();
      warn.mockRestore();
      debug.mockRestore();
    }
  });
});

describe("GET /api/v1/datasets/{id}/options/{param}", () => {
  const get = (as: UserRecord, q = "") =>
    call(optionsRoute.GET, `/api/v1/datasets/product_inventory/options/warehouse${q}`, { as, params: { id: "product_inventory", param: "warehouse" } });

  it("lists the caller's own warehouses, sorted, and every supplier's for an admin", async () => {
    const r = await get(rose);
    expect(r.status).toBe(200);
    expect(r.body.values.length).toBeGreaterThan(1);
    expect([...r.body.values].sort((a: string, b: string) => a.localeCompare(b))).toEqual(r.body.values);
    const all = await get(admin);
    for (const v of r.body.values) expect(all.body.values).toContain(v);
    expect((await get(admin, "?supplierId=sup_rose")).body.values).toEqual(r.body.values);
    expect((await get(rose, "?supplierId=sup_tulip")).status).toBe(403);
  });

  it("is a 404 for a filter without a list and for an unknown dataset", async () => {
    expect((await call(optionsRoute.GET, "/api/v1/datasets/product_inventory/options/skuPrefix", { as: rose, params: { id: "product_inventory", param: "skuPrefix" } })).status).toBe(404);
    expect((await call(optionsRoute.GET, "/api/v1/datasets/nope/options/warehouse", { as: rose, params: { id: "nope", param: "warehouse" } })).status).toBe(404);
    expect((await call(optionsRoute.GET, "/api/v1/datasets/product_inventory/options/__proto__", { as: rose, params: { id: "product_inventory", param: "__proto__" } })).status).toBe(404);
  });
});
