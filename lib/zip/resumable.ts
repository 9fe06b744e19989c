// The resumable zip writer: entries in, multipart parts out, a checkpoint after every part.
import type {
  ResumableZipCheckpoint,
  ResumableZipEntry,
  ResumableZipHooks,
  ResumableZipOptions,
  ResumableZipOutcome,
  ResumableZipSink,
} from "./resumable-types";

/**
 * Writes the archive of `entries` into `sink` as parts, from the start (`checkpoint` null) or
 * from a checkpoint a previous run saved. Resolves `{ state: "done", result }` once the last part
 * is written (the caller completes the multipart upload), or `{ state: "yielded", checkpoint }`
 * when `hooks.shouldYield()` said so at a safe point. Rejects on a source error, a damaged gzip
 * member, a sink or hook error (resume from the last saved checkpoint), or a checkpoint that does
 * not match the entries and options (`ZipCheckpointMismatchError`).
 */
export async function runResumableZip(
  entries: ResumableZipEntry[],
  opts: ResumableZipOptions,
  sink: ResumableZipSink,
  checkpoint: ResumableZipCheckpoint | null,
  hooks: ResumableZipHooks,
): Promise<ResumableZipOutcome> {
  void entries;
  void opts;
  void sink;
  void checkpoint;
  void hooks;
  throw new Error("runResumableZip: not yet implemented");
}
