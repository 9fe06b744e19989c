/**
 * The export worker against what the Redshift Data API really does, played
 * by the fake (test/aws/fake-redshift.ts) in aws mode on the emulators: a
 * statement queued in PICKED, one part or parts with no rows, statements
 * forgotten after 24 hours, and a QueryString that is masked, cut short or
 * absent. The worker must finish each export with the right rows.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { getDeps, type AppDeps } from "@/lib/config";
import type { Actor } from "@/lib/core/actor";
import { getDataset } from "@/lib/datasets/catalog";
import type { ExportRecord, ExportStatus } from "@/lib/exports/model";
import { requestExportAs } from "@/test/support/request-export";
import { processExportBatch } from "@/workers/sqs";
import { deliverBatch, startAwsBackend, type AwsBackend } from "../../support/aws-backend";

const rose: Actor = { userId: "usr_rose", email: "rose@suppliers.test", role: "supplier", supplierId: "sup_rose" };
let backend: AwsBackend;
let deps: AppDeps;
let oneSku: { sku: string; rows: number };

beforeAll(async () => {
  backend = await startAwsBackend({ rows: 2_000 });
  Object.assign(process.env, backend.env, { INLINE_WAIT_MS: "0", POLL_DELAY_SECONDS: "0", RETRY_BASE_SECONDS: "0" });
  deps = await getDeps();
  // A SKU of Rose's with few rows (one per warehouse), for exports smaller than the slice count.
  const dataset = getDataset("product_inventory")!;
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  await con.run(`ATTACH '${backend.dbPath}' AS wh (READ_ONLY); USE wh;`);
  const sql = dataset.buildQuery({}, { kind: "supplier", supplierId: "sup_rose" });
  const [row] = (await con.runAndReadAll(`SELECT sku, count(*) FROM (${sql}) GROUP BY sku ORDER BY count(*), sku LIMIT 1`)).getRows();
  oneSku = { sku: String(row![0]), rows: Number(row![1]) };
  con.closeSync();
  db.closeSync();
}, 120_000);

afterEach(() => {
  backend.redshift.holdInPicked(false);
  backend.redshift.setSlices(2);
  backend.redshift.setQueryString("verbatim");
});

afterAll(async () => {
  await deps?.close();
  await backend?.stop();
});

const handler = (event: Parameters<typeof processExportBatch>[1]) => processExportBatch(deps, event);

async function runUntil(id: string, until: ExportStatus, deadlineMs = 60_000): Promise<ExportRecord> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const rec = await deps.jobs.getExport(id);
    if (rec?.status === until && (await deps.queue.depth()) === 0) return rec;
    if (Date.now() > deadline) throw new Error(`export ${id} is ${rec?.status}, not ${until}, after ${deadlineMs} ms`);
    await deliverBatch(backend.sqs, backend.queueUrl, handler, 1);
  }
}

/** The archive's entries: name and data rows (lines after the header). */
async function zipContents(rec: ExportRecord): Promise<Array<{ name: string; rows: number }>> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "pep-fidelity-"));
  const chunks: Buffer[] = [];
  for await (const c of await deps.archiveStore.openRead(rec.archiveKey!)) chunks.push(Buffer.from(c as Uint8Array));
  await fs.writeFile(path.join(dir, "a.zip"), Buffer.concat(chunks));
  // Re-framed gzip parts must pass both readers: Info-ZIP's test and Python's CRC check of every entry.
  execFileSync("unzip", ["-tq", path.join(dir, "a.zip")]);
  execFileSync("python3", ["-c", "import sys, zipfile; assert zipfile.ZipFile(sys.argv[1]).testzip() is None", path.join(dir, "a.zip")]);
  execFileSync("unzip", ["-q", path.join(dir, "a.zip"), "-d", path.join(dir, "x")]);
  const names = (await fs.readdir(path.join(dir, "x"))).sort();
  const out = [];
  for (const name of names) {
    const lines = (await fs.readFile(path.join(dir, "x", name), "utf8")).split("\n").filter((l) => l !== "");
    out.push({ name, rows: lines.length - 1 });
  }
  await fs.rm(dir, { recursive: true, force: true });
  return out;
}

const statementsOf = (id: string) => [...backend.redshift.statements.values()].filter((s) => s.input.StatementName === `export-${id}`);

describe("the worker on the Redshift Data API's behaviours", () => {
  it("waits out a statement queued in PICKED: running, polled, then finished", async () => {
    backend.redshift.holdInPicked(true);
    const requested = await requestExportAs(deps, rose, { dataset: "product_inventory", params: {}, format: "csv", notify: false });
    await deliverBatch(backend.sqs, backend.queueUrl, handler, 1);
    const [statement] = statementsOf(requested.id);
    expect(statement?.status).toBe("PICKED");
    // Still running, with a poll message waiting; no failure for a status the port maps to running.
    await deliverBatch(backend.sqs, backend.queueUrl, handler, 1);
    expect((await deps.jobs.getExport(requested.id))?.status).toBe("running");
    expect(await deps.queue.depth()).toBe(1);
    backend.redshift.holdInPicked(false);
    const done = await runUntil(requested.id, "ready");
    expect(statementsOf(requested.id)).toHaveLength(1);
    expect(done.rowCount).toBeGreaterThan(0);
  });

  it("archives a single part as one file when the result fits one slice", async () => {
    backend.redshift.setSlices(1);
    const requested = await requestExportAs(deps, rose, { dataset: "product_inventory", params: {}, format: "csv", notify: false });
    const done = await runUntil(requested.id, "ready");
    expect(done.fileCount).toBe(1);
    expect(await zipContents(done)).toEqual([{ name: "product_inventory.csv", rows: done.rowCount }]);
  });

  it("archives header-only parts of slices without rows, and counts only real rows", async () => {
    backend.redshift.setSlices(oneSku.rows + 3);
    const requested = await requestExportAs(deps, rose, { dataset: "product_inventory", params: { skus: [oneSku.sku] }, format: "csv", notify: false });
    const done = await runUntil(requested.id, "ready");
    expect(done).toMatchObject({ rowCount: oneSku.rows, fileCount: oneSku.rows + 3 });
    const files = await zipContents(done);
    expect(files.reduce((n, f) => n + f.rows, 0)).toBe(oneSku.rows);
    expect(files.filter((f) => f.rows === 0)).toHaveLength(3);
  });

  it("finishes without an archive when every part is empty (header-only CSV, zero-row Parquet)", async () => {
    backend.redshift.setSlices(2);
    for (const format of ["csv", "parquet"] as const) {
      const requested = await requestExportAs(deps, rose, { dataset: "product_inventory", params: { skus: ["NO-SUCH-SKU"] }, format, notify: false });
      const done = await runUntil(requested.id, "ready");
      expect(done).toMatchObject({ rowCount: 0, fileCount: 0, archiveKey: null });
    }
  });

  it("submits a fresh statement when Redshift has forgotten the first one (24 hours on)", async () => {
    backend.redshift.holdInPicked(true);
    const requested = await requestExportAs(deps, rose, { dataset: "product_inventory", params: {}, format: "csv", notify: false });
    await deliverBatch(backend.sqs, backend.queueUrl, handler, 1);
    expect(statementsOf(requested.id)).toHaveLength(1);
    backend.redshift.advanceClock(24 * 3600 * 1000 + 60_000);
    backend.redshift.holdInPicked(false);
    const done = await runUntil(requested.id, "ready");
    const statements = statementsOf(requested.id);
    expect(statements).toHaveLength(2);
    expect(done.statementId).toBe(statements[1]!.id);
    const steps = (await deps.jobs.listSteps(requested.id)).map((s) => s.step);
    expect(steps.filter((s) => s === "query_submitted")).toHaveLength(2);
  });

  it.each(["masked", "truncated", "absent"] as const)("finishes when DescribeStatement's QueryString is %s", async (mode) => {
    backend.redshift.setQueryString(mode);
    const requested = await requestExportAs(deps, rose, { dataset: "product_inventory", params: {}, format: "csv", notify: false });
    const done = await runUntil(requested.id, "ready");
    expect(done.rowCount).toBeGreaterThan(0);
    expect((await zipContents(done)).reduce((n, f) => n + f.rows, 0)).toBe(done.rowCount);
  });
});
