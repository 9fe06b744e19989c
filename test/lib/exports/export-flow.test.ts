/**
 * Whole exports through the real local backends: service -> SQLite queue ->
 * worker -> DuckDB COPY -> zip in the disk store -> outbox. The zip's rows are
 * compared with a direct query of the same warehouse for the same supplier
 * and filter.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DuckDBInstance } from "@duckdb/node-api";
import { getDataset } from "@/lib/datasets/catalog";
import { SimulatedCrash, type WorkerCheckpoint } from "@/lib/exports/deps";
import { ApiError, BackendError } from "@/lib/core/errors";
import { exportMessage } from "@/lib/exports/messages";
import { cancelExport, getDownloadUrl, getExport, listExports, retryExport } from "@/lib/exports/service";
import { sweepExpired } from "@/lib/exports/worker";
import type { AppDeps } from "@/lib/config";
import { admin, drain, makeLocalDeps, requestExportAs, rose, seededWarehouse, tulip } from "@/test/support/local-env";

let warehouse: { dbPath: string; dir: string };
const opened: AppDeps[] = [];

beforeAll(async () => {
  warehouse = await seededWarehouse(20_000);
});

afterAll(async () => {
  for (const d of opened) await d.close();
  await fs.rm(warehouse.dir, { recursive: true, force: true });
});

async function deps(env: Record<string, string> = {}) {
  const d = await makeLocalDeps(warehouse.dbPath, env);
  opened.push(d);
  return d;
}

/** Writes the export's archive to a temp folder, checks it with `unzip -t`, and extracts it. */
async function extractArchive(d: AppDeps, archiveKey: string): Promise<{ dir: string; files: string[] }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "pep-unzip-"));
  const zipPath = path.join(dir, "a.zip");
  await fs.writeFile(zipPath, await d.archiveStore.openRead(archiveKey));
  execFileSync("unzip", ["-tq", zipPath]);
  execFileSync("unzip", ["-q", zipPath, "-d", path.join(dir, "x")]);
  const files = (await fs.readdir(path.join(dir, "x"))).sort().map((f) => path.join(dir, "x", f));
  return { dir, files };
}

async function withDuckDb<T>(fn: (con: Awaited<ReturnType<DuckDBInstance["connect"]>>) => Promise<T>): Promise<T> {
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  try {
    await con.run(`ATTACH '${warehouse.dbPath}' AS wh (READ_ONLY); USE wh;`);
    return await fn(con);
  } finally {
    con.closeSync();
    db.closeSync();
  }
}

/** Compares the CSV rows in the export's zip with a direct query of the warehouse for the same scope and filter. */
async function compareWithDirectQuery(d: AppDeps, exportId: string, supplierId: string | null, bom = true) {
  const rec = (await d.jobs.getExport(exportId))!;
  const { dir, files } = await extractArchive(d, rec.archiveKey!);
  for (const f of files) {
    const head = (await fs.readFile(f)).subarray(0, 3);
    expect(head.equals(Buffer.from([0xef, 0xbb, 0xbf]))).toBe(bom);
  }
  const dataset = getDataset(rec.dataset)!;
  const sql = dataset.buildQuery(dataset.paramsSchema.parse(rec.params), supplierId ? { kind: "supplier", supplierId } : { kind: "all" });
  const cols = dataset.columns.map((c) => `CAST("${c.name}" AS VARCHAR) AS "${c.name}"`).join(", ");
  const fileList = files.map((f) => `'${f}'`).join(", ");
  const zipped = `SELECT ${cols} FROM read_csv([${fileList}], header = true, all_varchar = true)`;
  const direct = `SELECT ${cols} FROM (${sql})`;
  const result = await withDuckDb(async (con) => {
    const count = async (q: string) => Number((await con.runAndReadAll(`SELECT count(*) FROM (${q})`)).getRows()[0][0]);
    return {
      zippedRows: await count(zipped),
      directRows: await count(direct),
      onlyInZip: await count(`${zipped} EXCEPT ALL ${direct}`),
      onlyInDirect: await count(`${direct} EXCEPT ALL ${zipped}`),
      files: files.length,
    };
  });
  await fs.rm(dir, { recursive: true, force: true });
  return result;
}

describe("a whole export through the local backends", () => {
  it("exports exactly the supplier's filtered rows, records every step and emails once", async () => {
    const d = await deps();
    const rec = await requestExportAs(d, rose, {
      dataset: "product_inventory",
      params: { lowStockOnly: true },
      format: "csv",
      bom: true,
    });
    expect(rec.status).toBe("queued");
    expect(rec.supplierId).toBe("sup_rose");

    const done = await drain(d, rec.id);
    expect(done.status).toBe("ready");
    expect(done.rowCount).toBeGreaterThan(0);
    expect(done.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(done.archiveBytes).toBe((await d.archiveStore.head(done.archiveKey!))!.bytes);

    const cmp = await compareWithDirectQuery(d, rec.id, "sup_rose", true);
    expect(cmp.zippedRows).toBe(done.rowCount);
    expect(cmp.directRows).toBe(done.rowCount);
    expect(cmp.onlyInZip).toBe(0);
    expect(cmp.onlyInDirect).toBe(0);

    const { steps } = await getExport(d, rose, rec.id);
    expect(steps.map((s) => s.step)).toEqual(["requested", "queued", "started", "query_submitted", "query_finished", "archived", "ready", "notified"]);
    expect(steps.find((s) => s.step === "archived")!.detail.sha256).toBe(done.sha256);

    const mail = (await d.mailer.listSent(10))!;
    expect(mail).toHaveLength(1);
    expect(mail[0].to).toBe("rose@suppliers.test");
    expect(mail[0].text).toContain(`/exports/${rec.id}`);
    expect(mail[0].html).toContain(`/exports/${rec.id}`);
    expect(mail[0].text).not.toContain("sig=");

    // Parts are deleted once the archive is ready.
    expect(await d.unloadStore.list(`unload/${rec.id}/`)).toEqual([]);
  });

  it("exports the other datasets and Parquet", async () => {
    const d = await deps();
    const reviews = await requestExportAs(d, tulip, { dataset: "customer_reviews", params: { ratingMin: 4 }, notify: false });
    const detail = await requestExportAs(d, admin, { dataset: "product_detail", params: {}, format: "parquet" });
    expect((await drain(d, reviews.id)).status).toBe("ready");
    const cmp = await compareWithDirectQuery(d, reviews.id, "sup_tulip");
    expect(cmp.onlyInZip + cmp.onlyInDirect).toBe(0);
    expect(cmp.zippedRows).toBeGreaterThan(0);
    const parquet = await drain(d, detail.id);
    expect(parquet.status).toBe("ready");
    const { dir, files } = await extractArchive(d, parquet.archiveKey!);
    expect(files.map((f) => path.basename(f))).toEqual(["product_detail.parquet"]);
    const parquetRows = await withDuckDb(async (con) => Number((await con.runAndReadAll(`SELECT count(*) FROM read_parquet('${files[0]}')`)).getRows()[0][0]));
    expect(parquetRows).toBe(parquet.rowCount);
    expect(parquetRows).toBeGreaterThan(3);
    await fs.rm(dir, { recursive: true, force: true });
    expect(await d.mailer.listSent(10)).toHaveLength(1); // tulip asked for no email
  });

  it("keeps suppliers apart: reads, lists, downloads and cancels of another supplier's export are 404", async () => {
    const d = await deps();
    const rec = await requestExportAs(d, rose, { dataset: "product_detail", params: {} });
    await drain(d, rec.id);
    await expect(getExport(d, tulip, rec.id)).rejects.toMatchObject({ status: 404 });
    await expect(getDownloadUrl(d, tulip, rec.id)).rejects.toMatchObject({ status: 404 });
    await expect(cancelExport(d, tulip, rec.id)).rejects.toMatchObject({ status: 404 });
    expect((await listExports(d, tulip, {})).items).toEqual([]);
    expect((await listExports(d, rose, {})).items.map((e) => e.id)).toEqual([rec.id]);
    const url = await getDownloadUrl(d, rose, rec.id);
    expect(url).toContain("/api/files/");
  });

  it("refuses hostile or foreign filter values before anything is queued", async () => {
    const d = await deps();
    const hostile = [
      { skus: ["A' OR '1'='1"] },
      { skus: ["X'; DROP TABLE rsdataapi.product_inventory; --"] },
      { warehouse: "Rotterdam' --" },
      { skuPrefix: "/* */" },
      { supplierId: "sup_tulip" },
      { supplier_id: "sup_tulip" },
      { lowStockOnly: "yes" },
      { updatedSince: "yesterday" },
    ];
    for (const params of hostile) {
      await expect(requestExportAs(d, rose, { dataset: "product_inventory", params })).rejects.toMatchObject({ status: 400 });
    }
    await expect(requestExportAs(d, rose, { dataset: "product_inventory", params: {}, supplierId: "sup_tulip" })).rejects.toMatchObject({ status: 403 });
    await expect(requestExportAs(d, rose, { dataset: "no_such_dataset", params: {} })).rejects.toBeInstanceOf(ApiError);
    await expect(requestExportAs(d, rose, { dataset: "product_inventory", params: {}, extra: 1 })).rejects.toMatchObject({ status: 400 });
    expect(await d.queue.depth()).toBe(0);
    expect((await listExports(d, rose, {})).items).toEqual([]);
  });

  const checkpoints: WorkerCheckpoint[] = ["claimed", "submitted", "query-finished", "archive-written", "ready", "notified"];
  for (const at of checkpoints) {
    it(`finishes once after a crash at "${at}": one archive, one email`, async () => {
      const d = await deps();
      let crashed = false;
      d.checkpoint = (name) => {
        if (name === at && !crashed) {
          crashed = true;
          throw new SimulatedCrash(name);
        }
      };
      const rec = await requestExportAs(d, rose, { dataset: "product_inventory", params: { warehouse: "Rotterdam" } });
      const done = await drain(d, rec.id);
      expect(crashed).toBe(true);
      expect(done.status).toBe("ready");
      expect(await d.archiveStore.list("archives/")).toHaveLength(1);
      expect(await d.mailer.listSent(10)).toHaveLength(1);
      const cmp = await compareWithDirectQuery(d, rec.id, "sup_rose");
      expect(cmp.onlyInZip + cmp.onlyInDirect).toBe(0);
      const steps = (await d.jobs.listSteps(rec.id)).map((s) => s.step);
      expect(steps.filter((s) => s === "ready")).toHaveLength(1);
      expect(steps.filter((s) => s === "notified")).toHaveLength(1);
    });
  }

  it("survives a duplicate delivery of the same message", async () => {
    const d = await deps();
    const rec = await requestExportAs(d, rose, { dataset: "product_detail", params: {} });
    await d.queue.send(exportMessage(rec.id, "requested"));
    const done = await drain(d, rec.id);
    expect(done.status).toBe("ready");
    expect(await d.archiveStore.list("archives/")).toHaveLength(1);
    expect(await d.mailer.listSent(10)).toHaveLength(1);
  });

  it("fails at once with the warehouse's message when the SQL fails", async () => {
    // A warehouse without the reviews table: the query is valid for us but not for it.
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "pep-badwh-"));
    const bad = path.join(dir, "bad.duckdb");
    const inst = await DuckDBInstance.create(bad);
    const con = await inst.connect();
    await con.run("CREATE SCHEMA rsdataapi; CREATE TABLE rsdataapi.product_detail (x INT);");
    con.closeSync();
    inst.closeSync();
    const d = await makeLocalDeps(bad);
    opened.push(d);
    // Count sends, not outbox entries: the outbox deduplicates, SES would not.
    let sends = 0;
    const send = d.mailer.send.bind(d.mailer);
    d.mailer.send = (m) => {
      sends++;
      return send(m);
    };
    const rec = await requestExportAs(d, rose, { dataset: "customer_reviews", params: {} });
    const done = await drain(d, rec.id);
    expect(sends).toBe(1);
    expect(done.status).toBe("failed");
    expect(done.errorCode).toBe("query_failed");
    expect(done.errorMessage).toMatch(/customer_reviews/);
    expect(done.attempts).toBe(1);
    const mail = (await d.mailer.listSent(10))!;
    expect(mail).toHaveLength(1);
    expect(mail[0].subject).toMatch(/failed/);
    // The supplier's email says what happened in plain words and quotes the export id; the warehouse's text is for logs and admins.
    expect(mail[0].text).not.toContain(done.errorMessage!);
    expect(mail[0].text).not.toMatch(/Catalog Error|does not exist/);
    expect(mail[0].text).toContain("not with your filters");
    expect(mail[0].text).toContain(rec.id);
    const view = await getExport(d, rose, rec.id);
    expect(view.export.errorMessage).not.toMatch(/Catalog Error/);
    expect(JSON.stringify(view.steps)).not.toMatch(/Catalog Error/);
    expect((await getExport(d, admin, rec.id)).export.errorMessage).toMatch(/Catalog Error/);
  });

  it("fails the export with the reason after 3 failed deliveries, and an admin retry brings it to ready", async () => {
    const d = await deps();
    const realOpen = d.unloadStore.openRead.bind(d.unloadStore);
    let broken = true;
    d.unloadStore.openRead = async (key, range) => {
      if (broken) throw new BackendError("io", "disk unavailable (injected)", true);
      return realOpen(key, range);
    };
    const rec = await requestExportAs(d, rose, { dataset: "product_detail", params: {} });
    const failed = await drain(d, rec.id);
    expect(failed.status).toBe("failed");
    expect(failed.errorCode).toBe("gave_up");
    expect(failed.errorMessage).toContain("disk unavailable (injected)");
    const steps = (await d.jobs.listSteps(rec.id)).map((s) => s.step);
    expect(steps.filter((s) => s === "retrying")).toHaveLength(3);
    expect(await d.archiveStore.list("archives/")).toEqual([]);

    broken = false;
    await expect(retryExport(d, rose, rec.id)).rejects.toMatchObject({ status: 403 });
    const again = await retryExport(d, admin, rec.id);
    expect(again.status).toBe("queued");
    const done = await drain(d, rec.id);
    expect(done.status).toBe("ready");
    expect(done.errorMessage).toBeNull();
  });

  it("cancels a queued export: the worker does nothing with it", async () => {
    const d = await deps();
    const rec = await requestExportAs(d, rose, { dataset: "product_detail", params: {} });
    const cancelled = await cancelExport(d, rose, rec.id);
    expect(cancelled.status).toBe("cancelled");
    const done = await drain(d, rec.id);
    expect(done.status).toBe("cancelled");
    expect(done.statementId).toBeNull();
    expect(await d.archiveStore.list("archives/")).toEqual([]);
    await expect(cancelExport(d, rose, rec.id)).rejects.toMatchObject({ status: 409 });
  });

  it("cancels a running export: its statement is cancelled and nothing is kept", async () => {
    const d = await deps();
    let rec = await requestExportAs(d, rose, { dataset: "product_inventory", params: {} });
    d.checkpoint = (name, id) => {
      if (name === "submitted") void cancelExport(d, rose, id);
    };
    rec = await drain(d, rec.id);
    expect(rec.status).toBe("cancelled");
    expect(rec.statementId).not.toBeNull();
    expect(await d.archiveStore.list("archives/")).toEqual([]);
    expect(await d.unloadStore.list(`unload/${rec.id}/`)).toEqual([]);
    expect(await d.mailer.listSent(10)).toEqual([]);
  });

  it("expires archives after the retention period", async () => {
    const d = await deps({ RETENTION_DAYS: "1" });
    const rec = await requestExportAs(d, rose, { dataset: "product_detail", params: {}, notify: false });
    const done = await drain(d, rec.id);
    expect(await sweepExpired(d)).toBe(0);
    const later = new Date(Date.parse(done.expiresAt!) + 1000);
    d.now = () => later;
    expect(await sweepExpired(d)).toBe(1);
    const expired = (await d.jobs.getExport(rec.id))!;
    expect(expired.status).toBe("expired");
    expect(await d.archiveStore.head(done.archiveKey!)).toBeNull();
    await expect(getDownloadUrl(d, rose, rec.id)).rejects.toMatchObject({ status: 404 });
  });
});
