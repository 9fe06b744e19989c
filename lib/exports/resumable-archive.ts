/**
 * The resumable archive (issue 11): CSV, JSONL and Parquet parts -> one zip written as the parts
 * of a multipart upload by `runResumableZip`, with the writer's checkpoint saved in the archive
 * lease after every part. Any delivery that takes the lease carries on from the last checkpoint,
 * so neither a crash nor one delivery's time limit bounds an export: near its deadline a
 * delivery stops at a safe point, releases the lease and sends the export's message again.
 * Where the store can (S3), the bulk of each gzip or stored part reaches the archive by
 * server-side copy (UploadPartCopy) and never passes through the worker.
 */
import type { Readable } from "node:stream";
import type { ManifestEntry, UnloadManifest } from "../ports";
import { BackendError, ObjectNotFoundError } from "../core/errors";
import {
  runResumableZip,
  ZipCheckpointMismatchError,
  type ResumableZipCheckpoint,
  type ResumableZipEntry,
  type ResumableZipResult,
} from "../zip";
import { ArchiveLeaseHold, LeaseLost, scheduleLeaseCheck } from "./archive-lease";
import { archiveKeyOf, entryName, step, unloadPrefix, UTF8_BOM } from "./archive-names";
import { SimulatedCrash, type ExportDeps } from "./deps";
import { classifyFault } from "./faults";
import { exportMessage, exportSendOptions } from "./messages";
import type { ExportRecord, ExportStep } from "./model";

/** What the lease's `checkpoint` holds: the writer's checkpoint and how many deliveries worked on it. */
interface SavedProgress {
  v: 1;
  deliveries: number;
  zip: ResumableZipCheckpoint;
}

export type ResumableDone = { result: ResumableZipResult; key: string; detail: ExportStep["detail"] };

/** The zip entries: one per part, read by range; gzip parts re-framed, Parquet stored, CSV counted. */
function resumableEntries(deps: ExportDeps, rec: ExportRecord, entries: ManifestEntry[], copy: boolean, open: Set<Readable>): ResumableZipEntry[] {
  const csv = rec.format === "csv";
  return entries.map((e, i) => ({
    name: entryName(rec, i, entries.length),
    sourceBytes: e.bytes,
    openRange: async (start, endExclusive) => {
      const stream = await deps.unloadStore.openRead(e.key, { start, end: endExclusive - 1 });
      open.add(stream);
      stream.once("close", () => open.delete(stream));
      return stream;
    },
    prefix: csv && rec.bom ? UTF8_BOM : undefined,
    gzip: e.key.endsWith(".gz"),
    // Quote-aware record counting is for CSV only (JSON escapes its quotes with backslashes).
    countCsvRecords: csv,
    // Parquet parts are compressed already: deflating them again costs CPU for a few percent.
    store: rec.format === "parquet",
    copySource: copy ? deps.unloadStore.copySourceOf(e.key) : undefined,
  }));
}

/** Bytes of the unloaded parts the checkpoint has got through (the progress the API shows). */
function sourceBytesDone(manifest: UnloadManifest, cp: ResumableZipCheckpoint): number {
  let done = 0;
  for (let i = 0; i < Math.min(cp.entry, manifest.entries.length); i++) done += manifest.entries[i]!.bytes;
  if (cp.current && cp.entry < manifest.entries.length) done += Math.max(0, cp.current.sourceOffset);
  return done;
}

function parseSaved(text: string | null | undefined): SavedProgress | null {
  if (!text) return null;
  try {
    const saved = JSON.parse(text) as SavedProgress;
    return saved && saved.v === 1 && saved.zip ? saved : null;
  } catch {
    return null;
  }
}

/**
 * Every part must be in the unload store with the manifest's size before the writer reads it
 * by range (it trusts `sourceBytes`). A missing or resized part fails the export for good, as
 * the content check after the archive does (retrying reads the same parts).
 */
async function checkPartSizes(deps: ExportDeps, rec: ExportRecord, manifest: UnloadManifest): Promise<void> {
  const listed = new Map((await deps.unloadStore.list(unloadPrefix(rec.id))).map((o) => [o.key, o.bytes]));
  // A missing part is the "part_missing" fault (lib/exports/faults.ts), as when a read finds it gone.
  const missing = manifest.entries.find((e) => !listed.has(e.key));
  if (missing) throw new ObjectNotFoundError(missing.key);
  const problems = manifest.entries.flatMap((e, i) => {
    const bytes = listed.get(e.key);
    const label = `part ${i + 1} of ${manifest.entries.length} (${entryName(rec, i, manifest.entries.length)})`;
    if (bytes === undefined) return [`${label} is missing`];
    return bytes === e.bytes ? [] : [`${label} holds ${bytes} bytes; the warehouse's manifest says ${e.bytes}`];
  });
  if (problems.length === 0) return;
  deps.log.error({ exportId: rec.id, problems }, "unloaded parts do not match the manifest");
  await discardArchiveUpload(deps, rec);
  throw new BackendError(
    "parts_mismatch",
    `The warehouse's output is incomplete, so no archive was made: ${problems.slice(0, 3).join("; ")}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ""}.`,
    false,
  );
}

/**
 * Writes (or carries on writing) the archive. Resolves with the finished archive (the multipart
 * upload completed; the caller checks it and moves the export to ready), or "handed-over" when
 * this delivery stopped and another carries on.
 */
export async function archiveResumable(
  deps: ExportDeps,
  rec: ExportRecord,
  manifest: UnloadManifest,
  opts: { deadline?: number },
): Promise<ResumableDone | "handed-over"> {
  const log = deps.log.child({ exportId: rec.id });
  const started = Date.now();
  const ends = Math.min(opts.deadline ?? Infinity, started + deps.settings.archiveDeliverySeconds * 1000);
  const store = deps.archiveStore;
  const key = archiveKeyOf(rec);

  const lease = new ArchiveLeaseHold(deps, rec.id, manifest.bytes);
  const previous = await deps.jobs.getArchiveLease(rec.id);
  let saved = parseSaved(previous?.checkpoint);
  lease.uploadId = previous?.uploadId ?? null;
  lease.checkpoint = saved ? previous!.checkpoint! : null;
  lease.bytesDone = saved ? sourceBytesDone(manifest, saved.zip) : 0;
  if (!(await lease.put())) return scheduleLeaseCheck(deps, rec);

  try {
    await checkPartSizes(deps, rec, manifest);
    if (!lease.uploadId) {
      lease.uploadId = await store.startMultipart(key, { contentType: "application/zip" });
      saved = null;
      lease.checkpoint = null;
      if (!(await lease.put())) throw new LeaseLost();
    }
    const copy = deps.settings.archiveCopyParts;
    // The source streams being read: destroyed when another delivery takes the lease, so a read
    // that is stuck (a slow store) cannot keep this delivery writing until the next safe point.
    const reading = new Set<Readable>();
    const entries = resumableEntries(deps, rec, manifest.entries, copy, reading);
    const minPartBytes = store.minPartBytes;
    const deliveries = (saved?.deliveries ?? 0) + 1;
    // The common case, a fresh archive well inside one delivery, hashes in one go (ResumableZipOptions.oneGo):
    // a restart after a crash or hand-over comes with a saved checkpoint, so it takes the saveable hash.
    const rate = deps.settings.archiveOneGoBytesPerSecond;
    const oneGo = saved === null && rate > 0 && manifest.bytes <= ((ends - Date.now()) / 1000) * rate;
    const zipOpts = {
      level: rec.format === "parquet" ? 0 : deps.settings.zipLevel,
      mtime: new Date(rec.createdAt),
      partBytes: Math.max(minPartBytes, deps.settings.archivePartBytes),
      minPartBytes,
      maxCopyBytes: Math.max(2 * minPartBytes, deps.settings.archiveCopyPartBytes),
      copy,
      oneGo,
      onInput: (n: number) => (lease.bytesDone += n),
    };
    const sinkFor = (id: string) => ({
      uploadPart: async (n: number, body: Buffer) => {
        await store.uploadPart(key, id, n, body);
        deps.checkpoint?.("archive-part", rec.id);
      },
      copyPart: copy
        ? async (n: number, source: string, start: number, endExclusive: number) => {
            await store.copyPart(key, id, n, source, { start, end: endExclusive - 1 });
            deps.checkpoint?.("archive-part", rec.id);
          }
        : undefined,
    });
    const hooks = {
      saveCheckpoint: async (cp: ResumableZipCheckpoint) => {
        lease.checkpoint = JSON.stringify({ v: 1, deliveries, zip: cp } satisfies SavedProgress);
        lease.bytesDone = sourceBytesDone(manifest, cp);
        if (!(await lease.put())) throw new LeaseLost();
        deps.checkpoint?.("archive-checkpoint", rec.id);
      },
      // Stop at the next safe point when the delivery's time is up, or when another delivery took the lease.
      shouldYield: () => lease.lost || Date.now() >= ends,
    };

    lease.keep(() => {
      for (const stream of reading) stream.destroy(new LeaseLost());
    });
    let outcome;
    try {
      outcome = await runResumableZip(entries, zipOpts, sinkFor(lease.uploadId), saved?.zip ?? null, hooks);
    } catch (err) {
      // An earlier delivery's upload the store no longer knows (the disk store's temp sweep after an
      // hour, S3's lifecycle rule after a day): its parts are gone, so the archive starts again.
      const uploadGone = err instanceof BackendError && err.code === "upload_missing" && saved !== null && !lease.lost;
      if (!(err instanceof ZipCheckpointMismatchError) && !uploadGone) throw err;
      // Not for a cancelled export (its clean-up aborted the upload).
      if ((await deps.jobs.getExport(rec.id))?.status !== "archiving") throw err;
      // Written by another version or with other settings (part sizes), or its upload is gone: start the archive again.
      log.warn({ err }, "the saved archive progress cannot be resumed; starting the archive again");
      await store.abortMultipart(key, lease.uploadId);
      lease.uploadId = await store.startMultipart(key, { contentType: "application/zip" });
      lease.checkpoint = null;
      lease.bytesDone = 0;
      if (!(await lease.put())) throw new LeaseLost();
      outcome = await runResumableZip(entries, zipOpts, sinkFor(lease.uploadId), null, hooks);
    }
    lease.stop();

    if (outcome.state === "yielded") {
      if (lease.lost) {
        log.warn("archive lease taken over by another delivery; stopped writing");
        return "handed-over";
      }
      const cp = outcome.checkpoint;
      // Released first, so the delivery the message reaches takes the lease at once.
      if (!(await lease.put({ release: true }))) return "handed-over";
      const bytesDone = sourceBytesDone(manifest, cp);
      await deps.jobs.appendSteps(rec.id, [
        step(deps, "archive_continued", { bytesDone, bytesTotal: manifest.bytes, parts: cp.parts, archiveBytes: cp.bytes, delivery: deliveries }),
      ]);
      await deps.queue.send(exportMessage(rec.id, "continue"), exportSendOptions(rec));
      log.info({ bytesDone, bytesTotal: manifest.bytes, parts: cp.parts, delivery: deliveries, seconds: (Date.now() - started) / 1000 }, "archive handed over to a new delivery");
      return "handed-over";
    }

    const { result } = outcome;
    const stored = await store.completeMultipart(key, lease.uploadId!, { parts: result.parts, bytes: result.bytes });
    const detail = {
      bytes: result.bytes,
      sha256: result.sha256,
      parts: result.parts,
      bytesUploaded: result.bytesUploaded,
      bytesCopied: result.bytesCopied,
      bytesRead: result.bytesRead,
      deliveries,
    };
    log.info({ ...detail, stored: stored.bytes, seconds: (Date.now() - started) / 1000 }, "archive written");
    return { result, key, detail };
  } catch (err) {
    lease.stop();
    // A test's stand-in for the process dying: leave everything as a dead process would.
    if (err instanceof SimulatedCrash) throw err;
    if (err instanceof LeaseLost || lease.lost) {
      log.warn("archive lease taken over by another delivery; stopped writing");
      return "handed-over";
    }
    if (classifyFault(err).retryable) {
      // Keep the upload and the checkpoint for the retry; let its delivery take the lease at once.
      await lease.put({ release: true }).catch(() => undefined);
    } else {
      await discardArchiveUpload(deps, rec).catch((e: unknown) => log.warn({ err: e }, "could not abort the archive's multipart upload"));
    }
    throw err;
  }
}

/**
 * Drops the export's unfinished archive: aborts its multipart upload (an aborted upload's parts
 * cost nothing) and forgets the lease with its checkpoint. For failed and cancelled exports.
 */
export async function discardArchiveUpload(deps: ExportDeps, rec: ExportRecord): Promise<void> {
  const lease = await deps.jobs.getArchiveLease(rec.id);
  if (lease?.uploadId) await deps.archiveStore.abortMultipart(archiveKeyOf(rec), lease.uploadId);
  if (lease) await deps.jobs.deleteArchiveLease(rec.id);
}
