/**
 * The worker's archive step: the statement's part files -> one zip in the archive store,
 * under a lease so one delivery at a time writes it, with progress the API can show, and
 * every part checked against the warehouse's manifest before the export is called ready.
 */
import type { Readable } from "node:stream";
import { pipeline } from "node:stream";
import zlib from "node:zlib";
import type { UnloadManifest } from "../ports";
import { BackendError } from "../core/errors";
import { getDataset } from "../datasets/catalog";
import { selectColumns } from "../datasets/types";
import { createXlsxStream } from "../formats/xlsx";
import { createZipArchive, type ZipEntryInput, type ZipResult } from "../zip";
import type { ExportDeps } from "./deps";
import { ArchiveLeaseHold, LeaseLost, scheduleLeaseCheck } from "./archive-lease";
import type { ExportRecord, ExportStep } from "./model";
import { moveExport } from "./state-machine";
import { archiveResumable } from "./resumable-archive";
import { archiveKeyOf, entryName, step, unloadPrefix, UTF8_BOM } from "./archive-names";

export { archiveKeyOf, unloadPrefix };

/**
 * Writes the statement's part files into one zip in the archive store, checks each part against
 * the manifest and moves the export to ready. CSV, JSONL and Parquet go through the resumable
 * writer (./resumable-archive.ts): parts of a multipart upload, a checkpoint after each, handed
 * over through the queue when the delivery nears `opts.deadline` (ms since the epoch) or has run
 * ARCHIVE_DELIVERY_SECONDS. XLSX streams one workbook in one delivery, as before. Returns
 * "handed-over" when another delivery carries on (a continuation, or a live lease holder).
 */
export async function archiveExport(deps: ExportDeps, rec: ExportRecord, opts: { deadline?: number } = {}): Promise<ExportRecord | "handed-over"> {
  if (!rec.statementId) throw new BackendError("statement_missing", "The export has no warehouse statement to archive.", false);
  const state = await deps.warehouse.describe(rec.statementId, unloadPrefix(rec.id));
  if (state.state !== "finished") {
    throw new BackendError("statement_unavailable", `The warehouse result is not available (${state.state}).`, true);
  }
  const manifest: UnloadManifest = state.manifest;
  if (manifest.rows === 0) return finishWithoutRows(deps, rec);
  if (rec.format !== "xlsx") {
    const done = await archiveResumable(deps, rec, manifest, opts);
    return done === "handed-over" ? done : finishArchive(deps, rec, manifest, done.result, done.key, done.detail);
  }
  return archiveStreamed(deps, rec, manifest);
}

/** The XLSX path: one workbook made from every part, streamed as one zip in one delivery. */
async function archiveStreamed(deps: ExportDeps, rec: ExportRecord, manifest: UnloadManifest): Promise<ExportRecord | "handed-over"> {
  const log = deps.log.child({ exportId: rec.id });
  const lease = new ArchiveLeaseHold(deps, rec.id, manifest.bytes);
  if (!(await lease.put())) return scheduleLeaseCheck(deps, rec);

  const key = archiveKeyOf(rec);
  const started = Date.now();
  const zip = createZipArchive(archiveEntries(deps, rec, manifest), {
    // Parquet parts and XLSX workbooks are compressed already: deflating them again costs CPU for a few percent.
    level: rec.format === "parquet" || rec.format === "xlsx" ? 0 : deps.settings.zipLevel,
    mtime: new Date(rec.createdAt),
    onInput: (n) => (lease.bytesDone += n),
  });
  let result: ZipResult;
  try {
    lease.keep(() => zip.stream.destroy(new LeaseLost()));
    const [stored, written] = await Promise.all([deps.archiveStore.put(key, zip.stream, { contentType: "application/zip" }), zip.result]);
    result = written;
    lease.stop();
    log.info({ bytes: result.bytes, sha256: result.sha256, seconds: (Date.now() - started) / 1000, stored: stored.bytes }, "archive written");
  } catch (err) {
    lease.stop();
    if (lease.lost) {
      log.warn("archive lease taken over by another delivery; stopped writing");
      return "handed-over";
    }
    await deps.jobs.deleteArchiveLease(rec.id).catch(() => undefined);
    throw err;
  }
  return finishArchive(deps, rec, manifest, result, key, { bytes: result.bytes, sha256: result.sha256 });
}

/**
 * The archive is in the store: check its parts against the manifest, move the export to ready
 * with `detail` on its "archived" step, and forget the lease. A cancel that came first wins
 * (the archive is deleted).
 */
export async function finishArchive(
  deps: ExportDeps,
  rec: ExportRecord,
  manifest: UnloadManifest,
  result: Pick<ZipResult, "bytes" | "sha256" | "entries">,
  key: string,
  detail: ExportStep["detail"],
): Promise<ExportRecord> {
  const log = deps.log.child({ exportId: rec.id });
  const rows = await checkParts(deps, rec, manifest, result, key);
  deps.checkpoint?.("archive-written", rec.id);

  const now = deps.now();
  const expiresAt = new Date(now.getTime() + deps.settings.retentionDays * 86_400_000).toISOString();
  const ready = await moveExport(
    deps.jobs,
    rec.id,
    "archiving",
    "ready",
    {
      archiveKey: key,
      archiveBytes: result.bytes,
      sha256: result.sha256,
      rowCount: rows,
      fileCount: manifest.entries.length,
      expiresAt,
      finishedAt: now.toISOString(),
      updatedAt: now.toISOString(),
    },
    [step(deps, "archived", detail), step(deps, "ready", { rows, expiresAt })],
  );
  await deps.jobs.deleteArchiveLease(rec.id);
  if (!ready) {
    const current = (await deps.jobs.getExport(rec.id)) ?? rec;
    // Cancelled while we zipped: the archive is not wanted. (A duplicate delivery that won leaves the same key, same bytes.)
    if (current.status === "cancelled") await deps.archiveStore.delete(key);
    return current;
  }
  log.info({ rows, bytes: result.bytes }, "ready");
  deps.checkpoint?.("ready", rec.id);
  return ready;
}

/** Opens a part as plain bytes: a gzip part (Redshift's UNLOAD ... GZIP) is inflated on the way. */
async function openPlain(deps: ExportDeps, key: string): Promise<Readable> {
  const source = await deps.unloadStore.openRead(key);
  if (!key.endsWith(".gz")) return source;
  const plain = zlib.createGunzip();
  pipeline(source, plain, () => undefined); // an error destroys `plain` with it, for its reader to see
  return plain;
}

/**
 * The zip's entries: one per part, or for XLSX one workbook streamed from all the CSV parts. A
 * gzip part of a CSV or JSONL export is re-framed into its entry as it is (no recompression).
 */
function archiveEntries(deps: ExportDeps, rec: ExportRecord, manifest: UnloadManifest): ZipEntryInput[] {
  if (rec.format === "xlsx") {
    const dataset = getDataset(rec.dataset);
    if (!dataset) throw new BackendError("unknown_dataset", `Dataset "${rec.dataset}" no longer exists.`, false);
    const columns = selectColumns(dataset.columns, rec.columns);
    return [
      {
        name: entryName(rec, 0, 1),
        open: async () =>
          createXlsxStream({
            sheetName: dataset.id,
            columns,
            totalRows: manifest.rows,
            parts: manifest.entries.map((e) => () => openPlain(deps, e.key)),
            level: Math.max(1, deps.settings.zipLevel),
            spoolDir: deps.settings.spoolDir,
            mtime: new Date(rec.createdAt),
          }),
      },
    ];
  }
  const csv = rec.format === "csv";
  return manifest.entries.map((e, i) => ({
    name: entryName(rec, i, manifest.entries.length),
    open: () => deps.unloadStore.openRead(e.key),
    prefix: csv && rec.bom ? UTF8_BOM : undefined,
    // Quote-aware record counting is for CSV only (JSON escapes its quotes with backslashes).
    countCsvRecords: csv,
    gzip: e.key.endsWith(".gz"),
  }));
}

/**
 * No rows matched: the export is finished, with nothing to download. No
 * archive is written (an empty zip would look like a result); the page, the
 * API and the email say "No rows matched these filters".
 */
async function finishWithoutRows(deps: ExportDeps, rec: ExportRecord): Promise<ExportRecord> {
  const now = deps.now().toISOString();
  const moved = await moveExport(
    deps.jobs,
    rec.id,
    "archiving",
    "ready",
    { rowCount: 0, fileCount: 0, archiveKey: null, archiveBytes: null, sha256: null, expiresAt: null, finishedAt: now, updatedAt: now },
    [step(deps, "ready", { rows: 0, noRows: true })],
  );
  if (!moved) return (await deps.jobs.getExport(rec.id)) ?? rec;
  deps.log.child({ exportId: rec.id }).info("no rows matched; finished without an archive");
  deps.checkpoint?.("ready", rec.id);
  return moved;
}

/**
 * Every part must be what the manifest says it is: as many bytes, and (for CSV) as many rows,
 * counted in the archive itself. A short or damaged part would otherwise give a "ready" export
 * whose zip holds fewer rows than its rowCount says. On a mismatch the archive is deleted and
 * the export fails for good (the warehouse's output is wrong; retrying reads the same parts).
 * Returns the rows in the archive.
 */
async function checkParts(deps: ExportDeps, rec: ExportRecord, manifest: UnloadManifest, result: Pick<ZipResult, "entries">, key: string): Promise<number> {
  // An XLSX workbook is one entry made from every part: the workbook writer reads them itself.
  if (rec.format === "xlsx") return manifest.rows;
  const problems: string[] = [];
  let rows = 0;
  manifest.entries.forEach((part, i) => {
    const entry = result.entries[i];
    const bytes = entry.inputBytes; // as stored: a gzip part's compressed size
    const label = `part ${i + 1} of ${manifest.entries.length} (${entry.name})`;
    if (bytes !== part.bytes) problems.push(`${label} holds ${bytes} bytes; the warehouse's manifest says ${part.bytes}`);
    if (entry.csvRecords !== undefined) {
      // Each CSV part starts with a header row (UNLOAD ... HEADER).
      const counted = Math.max(0, entry.csvRecords - 1);
      rows += counted;
      if (typeof part.rows === "number" && counted !== part.rows) problems.push(`${label} holds ${counted} rows; the manifest says ${part.rows}`);
    }
  });
  if (rec.format !== "csv") rows = manifest.rows;
  else if (problems.length === 0 && rows !== manifest.rows) problems.push(`the parts hold ${rows} rows; the manifest says ${manifest.rows}`);
  if (problems.length === 0) return rows;
  await deps.archiveStore.delete(key);
  await deps.jobs.deleteArchiveLease(rec.id);
  deps.log.error({ exportId: rec.id, problems }, "unloaded parts do not match the manifest");
  throw new BackendError(
    "parts_mismatch",
    `The warehouse's output is incomplete, so no archive was made: ${problems.slice(0, 3).join("; ")}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ""}.`,
    false,
  );
}
