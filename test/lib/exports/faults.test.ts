/**
 * Pins issue 12 finding 9 through the real worker on the local backend:
 * permanent faults fail the export on the first delivery with a plain
 * message (no retry step, one attempt); a far-future date the schema accepts
 * runs. Before, each was retried three times over a minute.
 */
import fs from "node:fs";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppDeps } from "@/lib/config";
import { requestExportAs as requestExport } from "@/test/support/request-export";
import { drain, makeLocalDeps, rose, seededWarehouse } from "@/test/support/local-env";

let warehouse: { dbPath: string; dir: string };
const opened: (AppDeps & { dataDir: string })[] = [];

beforeAll(async () => {
  warehouse = await seededWarehouse(500);
});
afterAll(async () => {
  for (const d of opened) {
    await d.close();
    await fsp.rm(d.dataDir, { recursive: true, force: true });
  }
  await fsp.rm(warehouse.dir, { recursive: true, force: true });
});

async function deps(dbPath = warehouse.dbPath) {
  const d = await makeLocalDeps(dbPath);
  opened.push(d);
  return d;
}

async function expectFailedAtOnce(d: AppDeps, id: string, code: string) {
  const done = await drain(d, id);
  expect(done, done.errorMessage ?? "").toMatchObject({ status: "failed", errorCode: code, attempts: 1 });
  expect(done.errorMessage).not.toMatch(/unload\/|IO Error|SQLITE|Gave up/);
  const steps = await d.jobs.listSteps(id);
  expect(steps.map((s) => s.step)).not.toContain("retrying");
}

describe("fault classification in the worker", () => {
  it("runs far-future dates the schema accepts (9999-12-31 as an upper and a lower bound)", async () => {
    const d = await deps();
    const a = await requestExport(d, rose, { dataset: "customer_reviews", params: { createdTo: "9999-12-31" }, notify: false });
    const b = await requestExport(d, rose, { dataset: "product_inventory", params: { updatedSince: "9999-12-31" }, notify: false });
    expect(await drain(d, a.id)).toMatchObject({ status: "ready", attempts: 1 });
    expect(await drain(d, b.id)).toMatchObject({ status: "ready", attempts: 1, rowCount: 0 });
  });

  it("fails at once when a part file of the result is missing", async () => {
    const d = await deps();
    d.checkpoint = (name, id) => {
      if (name !== "query-finished") return;
      const dir = path.join(d.dataDir, "unload-store", "unload", id);
      // The part files only; the statement's own status file (a dot file) stays.
      for (const f of fs.readdirSync(dir)) if (!f.startsWith(".")) fs.rmSync(path.join(dir, f));
    };
    const rec = await requestExport(d, rose, { dataset: "product_inventory", params: {}, notify: false });
    await expectFailedAtOnce(d, rec.id, "part_missing");
  });

  it("fails at once when the warehouse file is damaged", async () => {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "pep-corrupt-"));
    const bad = path.join(dir, "warehouse.duckdb");
    // A real DuckDB file with its header overwritten: what a disk fault leaves behind.
    await fsp.copyFile(warehouse.dbPath, bad);
    const fh = await fsp.open(bad, "r+");
    await fh.write(Buffer.alloc(4096, 0x5a), 0, 4096, 0);
    await fh.close();
    const d = await deps(bad);
    const rec = await requestExport(d, rose, { dataset: "product_detail", params: {}, notify: false });
    await expectFailedAtOnce(d, rec.id, "warehouse_damaged");
    await fsp.rm(dir, { recursive: true, force: true });
  });
});
