/**
 * The resumable archive in aws mode on the emulators (DynamoDB job store and lease, S3 behind the
 * SigV4 gate with its UploadPartCopy, SQS) and the fake Redshift writing gzip parts as UNLOAD
 * ... GZIP does: each part's deflate data becomes its zip entry, the bulk of it by server-side
 * copy (bytesCopied > 0, so those bytes never pass through the worker). The archive opens with
 * `unzip -t` and Python's zipfile, its rows equal a direct query's rows, and it is byte-identical
 * with and without a hand-over after every part.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDeps, loadConfig, type AppDeps } from "@/lib/config";
import { getDataset } from "@/lib/datasets/catalog";
import { SimulatedCrash } from "@/lib/exports/deps";
import { archiveKeyOf, unloadPrefix } from "@/lib/exports/archive-names";
import { archiveResumable } from "@/lib/exports/resumable-archive";
import { createLogger } from "@/lib/log";
import { cancelExport } from "@/lib/exports/service";
import { handleQueueMessage } from "@/workers/dispatch";
import { startAwsBackend, type AwsBackend } from "@/test/support/aws-backend";
import { admin, drain, requestExportAs } from "@/test/support/local-env";

let backend: AwsBackend;
let deps: AppDeps;

beforeAll(async () => {
  // 1.2M inventory rows over the fake's 2 slices: two gzip parts of ~12 MB, each long enough
  // (over twice S3's 5 MiB minimum part) for the writer to copy the bulk of it.
  backend = await startAwsBackend({ rows: 1_200_000 });
  // SST's linked resources are read from the process environment, as in a Lambda.
  Object.assign(process.env, backend.env);
  const config = loadConfig({
    ...backend.env,
    INLINE_WAIT_MS: "10000",
    POLL_DELAY_SECONDS: "0",
    RETRY_BASE_SECONDS: "0",
    ARCHIVE_LEASE_SECONDS: "2",
    ARCHIVE_PART_MB: "5",
    ARCHIVE_COPY_PART_MB: "10",
    MAX_ACTIVE_EXPORTS_PER_SUPPLIER: "1000",
  });
  deps = await buildDeps(config, createLogger(config.env.LOG_LEVEL, "test"));
}, 300_000);

afterAll(async () => {
  await deps?.close();
  await backend?.stop();
});

async function zipFile(key: string, dir: string): Promise<string> {
  const file = path.join(dir, "archive.zip");
  const chunks: Buffer[] = [];
  for await (const c of await deps.archiveStore.openRead(key)) chunks.push(c as Buffer);
  await fs.writeFile(file, Buffer.concat(chunks));
  return file;
}

/** SHA-256 of the sorted rows (csv module, headers dropped) of every CSV in the zip, and of a CSV file. */
const ROWS_HASH = `import csv, hashlib, io, sys, zipfile
def digest(rows):
    h = hashlib.sha256()
    for r in sorted(rows): h.update(repr(r).encode())
    return h.hexdigest(), len(rows)
rows = []
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
for n in z.namelist():
    rows.extend(list(csv.reader(io.TextIOWrapper(z.open(n), encoding="utf-8-sig", newline="")))[1:])
direct = list(csv.reader(open(sys.argv[2], encoding="utf-8", newline="")))[1:]
print(digest(rows) == digest(direct), len(rows), len(direct))`;

describe("resumable archive on the AWS emulators with gzip parts", () => {
  it("copies the bulk of each gzip part server-side and gives the same bytes with and without hand-overs", async () => {
    const started = Date.now();
    const rec0 = await requestExportAs(deps, admin, { dataset: "product_inventory", params: {} });
    // Up to "archiving" (parts unloaded, no archive yet): crash the delivery at "query-finished".
    deps.checkpoint = (name) => {
      if (name === "query-finished") throw new SimulatedCrash(name);
    };
    for (let crashed = false; !crashed; ) {
      expect(Date.now() - started, "the query to finish").toBeLessThan(120_000);
      const [msg] = await deps.queue.receive({ max: 1, waitSeconds: 1, visibilitySeconds: 120 });
      if (!msg) continue;
      try {
        await handleQueueMessage(deps, msg.body, { receiveCount: msg.receiveCount });
        await deps.queue.ack(msg.receipt); // a poll was scheduled: the query is still running
      } catch (err) {
        if (!(err instanceof SimulatedCrash)) throw err;
        await deps.queue.release(msg.receipt, 0);
        crashed = true;
      }
    }
    deps.checkpoint = undefined;
    const rec = (await deps.jobs.getExport(rec0.id))!;
    expect(rec.status).toBe("archiving");
    const state = await deps.warehouse.describe(rec.statementId!, unloadPrefix(rec.id));
    if (state.state !== "finished") throw new Error(state.state);
    const manifest = state.manifest;
    expect(manifest.entries.every((e) => e.key.endsWith(".gz"))).toBe(true);

    // In one go.
    const once = await archiveResumable(deps, rec, manifest, {});
    if (once === "handed-over") throw new Error("handed over");
    await deps.archiveStore.delete(archiveKeyOf(rec));
    await deps.jobs.deleteArchiveLease(rec.id);

    // Through the queue, handing over after every part.
    deps.settings.archiveDeliverySeconds = 0;
    const done = await drain(deps, rec.id, { deadlineMs: 240_000 });
    deps.settings.archiveDeliverySeconds = 86_400;
    expect(done.status).toBe("ready");
    expect({ sha256: done.sha256, bytes: done.archiveBytes }).toEqual({ sha256: once.result.sha256, bytes: once.result.bytes });
    const archived = (await deps.jobs.listSteps(rec.id)).find((s) => s.step === "archived")!.detail as Record<string, number>;
    expect(archived.deliveries).toBe(once.result.parts);
    expect(archived.bytesCopied).toBeGreaterThan(0);
    expect(archived.bytesCopied + archived.bytesUploaded).toBe(once.result.bytes);
    // The worker read each gzip part once for its inflate pass (re-reads after hand-overs on top).
    expect(once.result.bytesRead).toBe(manifest.bytes);

    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "pep-aws-zip-"));
    try {
      const file = await zipFile(done.archiveKey!, dir);
      execFileSync("unzip", ["-tq", file]);
      // The same query, straight from the warehouse.
      const sql = getDataset("product_inventory")!.buildQuery({}, { kind: "all" });
      const db = await DuckDBInstance.create(backend.dbPath, { access_mode: "READ_ONLY" });
      const con = await db.connect();
      const direct = path.join(dir, "direct.csv");
      await con.run(`COPY (${sql}) TO '${direct}' (FORMAT csv, HEADER true)`);
      con.closeSync();
      const [same, zipped, queried] = execFileSync("python3", ["-c", ROWS_HASH, file, direct], { maxBuffer: 1 << 20 }).toString().trim().split(" ");
      expect({ same, zipped: Number(zipped) }).toEqual({ same: "True", zipped: Number(queried) });
      expect(Number(zipped)).toBe(done.rowCount);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
    console.info(
      `aws resumable archive: ${manifest.entries.length} gzip parts, ${manifest.bytes} bytes; archive ${once.result.bytes} bytes in ${once.result.parts} parts; ` +
        `uploaded ${once.result.bytesUploaded}, copied ${once.result.bytesCopied}, read ${once.result.bytesRead} (one go); ` +
        `with hand-overs: ${archived.deliveries} deliveries, uploaded ${archived.bytesUploaded}, copied ${archived.bytesCopied}, read ${archived.bytesRead}; ${(Date.now() - started) / 1000} s`,
    );
  }, 300_000);

  it("a cancel during a multi-delivery archive aborts the S3 upload and leaves no archive", async () => {
    const rec = await requestExportAs(deps, admin, { dataset: "product_inventory", params: {} });
    deps.settings.archiveDeliverySeconds = 0;
    try {
      // Deliveries until the archive has handed over twice (its upload holds parts by then).
      const started = Date.now();
      while ((await deps.jobs.listSteps(rec.id)).filter((s) => s.step === "archive_continued").length < 2) {
        expect(Date.now() - started, "two hand-overs").toBeLessThan(180_000);
        const [msg] = await deps.queue.receive({ max: 1, waitSeconds: 1, visibilitySeconds: 120 });
        if (!msg) continue;
        const outcome = await handleQueueMessage(deps, msg.body, { receiveCount: msg.receiveCount });
        if (outcome.kind === "done") await deps.queue.ack(msg.receipt);
        else await deps.queue.release(msg.receipt, outcome.delaySeconds);
      }
      const { uploadId } = (await deps.jobs.getArchiveLease(rec.id))!;
      expect(uploadId).toBeTruthy();
      await cancelExport(deps, admin, rec.id);
      const done = await drain(deps, rec.id, { deadlineMs: 60_000 });
      expect(done.status).toBe("cancelled");
      expect(await deps.archiveStore.head(archiveKeyOf(rec))).toBeNull();
      expect(await deps.jobs.getArchiveLease(rec.id)).toBeNull();
      // The upload is aborted: S3 takes no more parts for it.
      await expect(deps.archiveStore.uploadPart(archiveKeyOf(rec), uploadId!, 9, Buffer.from("x"))).rejects.toMatchObject({ code: "upload_missing" });
    } finally {
      deps.settings.archiveDeliverySeconds = 86_400;
    }
  }, 300_000);
});
