/**
 * The worker's archive step: the statement's part files -> one zip in the archive store,
 * under a lease so one delivery at a time writes it, with progress the API can show, and
 * every part checked against the warehouse's manifest before the export is called ready.
 */
import { randomUUID } from "node:crypto";
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
import { exportMessage, exportSendOptions } from "./messages";
import type { ExportRecord, ExportStep } from "./model";
import { moveExport } from "./state-machine";

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
/** Progress is written (and the lease renewed) this often at most. */
const PROGRESS_EVERY_MS = 2000;

/** Where the warehouse writes the export's parts (and its manifest). */
export function unloadPrefix(exportId: string): string {
  return `unload/${exportId}/`;
}

export function archiveKeyOf(record: ExportRecord): string {
  return `archives/${record.supplierId ?? "all"}/${record.id}.zip`;
}

const EXTENSION: Record<ExportRecord["format"], string> = { csv: "csv", jsonl: "jsonl", parquet: "parquet", xlsx: "xlsx" };

/** `product_inventory.csv` for one part; `product_inventory_part_001.csv`... for several (`.tsv` when tab-separated). */
function entryName(rec: ExportRecord, index: number, total: number): string {
  const ext = rec.format === "csv" && rec.delimiter === "\t" ? "tsv" : EXTENSION[rec.format];
  if (total === 1) return `${rec.dataset}.${ext}`;
  const width = Math.max(3, String(total).length);
  return `${rec.dataset}_part_${String(index + 1).padStart(width, "0")}.${ext}`;
}

function step(deps: ExportDeps, name: ExportStep["step"], detail: ExportStep["detail"] = {}): ExportStep {
  return { at: deps.now().toISOString(), step: name, detail };
}

/** Thrown into the zip when another delivery took the lease over: this one stops writing. */
class LeaseLost extends Error {
  constructor() {
    super("another delivery took over the archive lease");
  }
}

/**
 * This delivery's hold on the export's archive lease. The lease is one conditional write
 * (`JobStore.putArchiveLease`), renewed with the bytes done so far every couple of seconds
 * while the zip is written; a delivery that dies stops renewing, and once the lease has
 * expired the next delivery takes it over. So a duplicate delivery never archives an export
 * that a live delivery is archiving, and a dead one never blocks it for longer than the lease.
 */
class ArchiveLeaseHold {
  readonly owner = randomUUID();
  bytesDone = 0;
  lost = false;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly deps: ExportDeps,
    private readonly exportId: string,
    private readonly bytesTotal: number,
  ) {}

  /** Writes the lease; false when another live delivery holds it. */
  async put(): Promise<boolean> {
    const now = this.deps.now();
    return this.deps.jobs.putArchiveLease(
      {
        exportId: this.exportId,
        owner: this.owner,
        expiresAt: new Date(now.getTime() + this.deps.settings.archiveLeaseSeconds * 1000).toISOString(),
        bytesDone: this.bytesDone,
        bytesTotal: this.bytesTotal,
        updatedAt: now.toISOString(),
      },
      now.toISOString(),
    );
  }

  /** Renews the lease with the progress until `stop()`; calls `onLost` if another delivery took it. */
  keep(onLost: () => void): void {
    const every = Math.min(PROGRESS_EVERY_MS, (this.deps.settings.archiveLeaseSeconds * 1000) / 3);
    const tick = () => {
      this.timer = null;
      this.put().then(
        (held) => {
          if (this.stopped) return;
          if (!held) {
            this.lost = true;
            onLost();
            return;
          }
          this.timer = setTimeout(tick, every).unref();
        },
        (err: unknown) => {
          // A failed renewal is not a lost lease: try again next time (the lease outlives a few misses).
          this.deps.log.warn({ err, exportId: this.exportId }, "could not renew the archive lease");
          if (!this.stopped) this.timer = setTimeout(tick, every).unref();
        },
      );
    };
    this.timer = setTimeout(tick, every).unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/**
 * Streams the statement's part files into one zip in the archive store, hashing on the way,
 * checks each part against the manifest and moves the export to ready. Returns "handed-over"
 * when another delivery is archiving it (a check is scheduled for when its lease would lapse).
 */
export async function archiveExport(deps: ExportDeps, rec: ExportRecord): Promise<ExportRecord | "handed-over"> {
  const log = deps.log.child({ exportId: rec.id });
  if (!rec.statementId) throw new BackendError("statement_missing", "The export has no warehouse statement to archive.", false);
  const state = await deps.warehouse.describe(rec.statementId, unloadPrefix(rec.id));
  if (state.state !== "finished") {
    throw new BackendError("statement_unavailable", `The warehouse result is not available (${state.state}).`, true);
  }
  const manifest: UnloadManifest = state.manifest;
  if (manifest.rows === 0) return finishWithoutRows(deps, rec);
  const lease = new ArchiveLeaseHold(deps, rec.id, manifest.bytes);
  if (!(await lease.put())) {
    const current = await deps.jobs.getArchiveLease(rec.id);
    const waitMs = current ? Date.parse(current.expiresAt) - deps.now().getTime() : 0;
    const delaySeconds = Math.min(900, Math.max(1, Math.ceil(waitMs / 1000) + 1));
    // The holder's own message is still in flight; this check only matters if the holder died.
    await deps.queue.send(exportMessage(rec.id, "poll"), exportSendOptions(rec, delaySeconds));
    log.info({ delaySeconds }, "another delivery is archiving this export; check scheduled");
    return "handed-over";
  }

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
    [step(deps, "archived", { bytes: result.bytes, sha256: result.sha256 }), step(deps, "ready", { rows, expiresAt })],
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
async function checkParts(deps: ExportDeps, rec: ExportRecord, manifest: UnloadManifest, result: ZipResult, key: string): Promise<number> {
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
