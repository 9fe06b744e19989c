// The resumable writer's pure layout: option checks, the copy plan, the part-count bound, and checkpoint validation.
import { createHash } from "node:crypto";
import {
  type ResumableZipCheckpoint,
  type ResumableZipEntry,
  type ResumableZipOptions,
  S3_MAX_PART_BYTES,
  S3_MAX_PARTS,
  ZipCheckpointMismatchError,
} from "./resumable-types";

export const CHECKPOINT_VERSION = 1;
/** Safe points inside an entry that is not copied: every 1 MiB of its data (deflate block outputs, source offsets). */
export const SAFE_STEP = 1024 * 1024;
/** zip record overheads, for the part-count bound: local header (30 + 9 extra), descriptor, central header (46 + 9 + 28). */
const LOCAL_OVERHEAD = 39;
const DESCRIPTOR_MAX = 24;
const CENTRAL_OVERHEAD = 83;
const END_MAX = 98;
const MIB = 1024 * 1024;

export function checkResumableOptions(opts: ResumableZipOptions, entries: ResumableZipEntry[], canCopy: boolean): void {
  if (!Number.isInteger(opts.level) || opts.level < 0 || opts.level > 9) throw new RangeError(`zip level must be an integer 0..9, got ${opts.level}`);
  if (!(opts.mtime instanceof Date) || Number.isNaN(opts.mtime.getTime())) throw new TypeError("zip mtime must be a valid Date");
  const positive = (name: string, value: number) => {
    if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  };
  positive("partBytes", opts.partBytes);
  positive("minPartBytes", opts.minPartBytes);
  positive("maxCopyBytes", opts.maxCopyBytes);
  if (opts.partBytes < opts.minPartBytes) throw new RangeError(`partBytes (${opts.partBytes}) must be >= minPartBytes (${opts.minPartBytes})`);
  if (opts.partBytes > S3_MAX_PART_BYTES) throw new RangeError(`partBytes (${opts.partBytes}) must be <= 5 GiB`);
  if (opts.maxCopyBytes > S3_MAX_PART_BYTES) throw new RangeError(`maxCopyBytes (${opts.maxCopyBytes}) must be <= 5 GiB`);
  if (opts.maxCopyBytes < 2 * opts.minPartBytes) throw new RangeError(`maxCopyBytes (${opts.maxCopyBytes}) must be >= 2 * minPartBytes (${opts.minPartBytes})`);
  if (opts.copy && !canCopy) throw new TypeError("copy is on but the sink has no copyPart");
  for (const entry of entries) {
    if (!Number.isSafeInteger(entry.sourceBytes) || entry.sourceBytes < 0) {
      throw new RangeError(`${entry.name}: sourceBytes must be a non-negative integer, got ${entry.sourceBytes}`);
    }
    if (entry.prefix && entry.prefix.length > 0xffff) throw new RangeError(`${entry.name}: a prefix holds at most 65,535 bytes`);
  }
}

/** True when the entry's data may go by copy parts (the plan still needs it to be long enough). */
export function copyable(entry: ResumableZipEntry, opts: ResumableZipOptions): boolean {
  return opts.copy && entry.copySource !== undefined && (entry.gzip === true || entry.store === true || opts.level === 0);
}

/**
 * Where an entry's copy parts start (a source offset), given the bytes already waiting in the
 * part being filled (`buffered`: the local header, and the prefix or its stored block, included)
 * and the source range [dataStart, dataEnd) that holds the entry's data (gzip: between header and
 * trailer; stored: the whole source). The part is topped up to `minPartBytes` from the source;
 * null when what would be left to copy is shorter than one part (the entry then goes through the
 * upload buffer, with the usual safe points).
 */
export function copyStart(buffered: number, dataStart: number, dataEnd: number, opts: ResumableZipOptions): number | null {
  const from = dataStart + Math.max(0, opts.minPartBytes - buffered);
  return dataEnd - from >= opts.minPartBytes ? from : null;
}

/**
 * Copy chunks of [from, to): as few as `maxCopyBytes` allows, split evenly (the first ones one
 * byte longer), so none is below maxCopyBytes / 2 >= minPartBytes.
 */
export function copyChunks(from: number, to: number, maxCopyBytes: number): [number, number][] {
  const length = to - from;
  if (length <= 0) return [];
  const count = Math.ceil(length / maxCopyBytes);
  const base = Math.floor(length / count);
  const longer = length % count;
  const chunks: [number, number][] = [];
  for (let i = 0, at = from; i < count; i++) {
    const size = base + (i < longer ? 1 : 0);
    chunks.push([at, at + size]);
    at += size;
  }
  return chunks;
}

/**
 * The part size the run uses: `opts.partBytes`, grown (to whole MiB) when the archive could need
 * more than S3's 10,000 parts, since S3 refuses part 10,001 and finding out after hours of work
 * is the worst time. Sized from an upper bound of the bytes that go through `uploadPart`:
 * deflated data is bounded by its input plus zlib's worst-case growth (stored blocks) and the
 * sync-flush markers, so a highly compressible export gets larger parts than it needs (harmless:
 * the buffer is the only cost). A pure function of the entries and options, so every run of one
 * archive cuts the same parts. Throws when even 5 GiB parts cannot fit, or when the copy parts
 * alone are too many (raise maxCopyBytes).
 */
export function effectivePartBytes(entries: ResumableZipEntry[], nameLengths: number[], opts: ResumableZipOptions): number {
  let uploaded = END_MAX;
  let fixedParts = 1; // the last part
  entries.forEach((entry, i) => {
    const size = entry.sourceBytes + (entry.prefix?.length ?? 0) + 5;
    const blocks = Math.ceil(size / SAFE_STEP) + 1;
    const data = entry.gzip ? size : size + Math.ceil(size / 16_000) * 5 + blocks * 10 + 16;
    const records = LOCAL_OVERHEAD + DESCRIPTOR_MAX + CENTRAL_OVERHEAD + 2 * nameLengths[i];
    // Surely copied (see copyStart): at most one part's fill goes through the writer, plus a forced cut.
    if (copyable(entry, opts) && entry.sourceBytes >= 3 * opts.minPartBytes) {
      uploaded += records + opts.minPartBytes;
      fixedParts += Math.ceil(entry.sourceBytes / opts.maxCopyBytes) + 1;
    } else {
      uploaded += records + data;
    }
  });
  if (fixedParts >= S3_MAX_PARTS) {
    throw new RangeError(`this archive could need ${fixedParts} copy parts and S3 allows ${S3_MAX_PARTS} parts: raise maxCopyBytes (now ${opts.maxCopyBytes})`);
  }
  if (Math.ceil(uploaded / opts.partBytes) + fixedParts <= S3_MAX_PARTS) return opts.partBytes;
  const grown = Math.ceil(uploaded / (S3_MAX_PARTS - fixedParts) / MIB) * MIB;
  if (grown > S3_MAX_PART_BYTES) throw new RangeError(`this archive could need more than ${S3_MAX_PARTS} parts even of 5 GiB`);
  return grown;
}

/** SHA-256 of everything that shapes the archive's bytes and parts: a checkpoint is only good for the same. */
export function fingerprint(entries: ResumableZipEntry[], opts: ResumableZipOptions): string {
  const shape = {
    version: CHECKPOINT_VERSION,
    level: opts.level,
    mtime: opts.mtime.getTime(),
    partBytes: opts.partBytes,
    minPartBytes: opts.minPartBytes,
    maxCopyBytes: opts.maxCopyBytes,
    copy: opts.copy,
    entries: entries.map((e) => [e.name, e.sourceBytes, e.prefix?.toString("hex") ?? "", !!e.gzip, !!e.countCsvRecords, !!e.store, e.copySource !== undefined]),
  };
  return createHash("sha256").update(JSON.stringify(shape)).digest("hex");
}

/** Refuses a checkpoint of another writer version, other entries or other options, or one that is not well-formed. */
export function checkCheckpoint(checkpoint: ResumableZipCheckpoint, entries: ResumableZipEntry[], opts: ResumableZipOptions): void {
  const refuse = (why: string) => {
    throw new ZipCheckpointMismatchError(`zip checkpoint refused: ${why}`);
  };
  if (typeof checkpoint !== "object" || checkpoint === null) refuse("not an object");
  if (checkpoint.version !== CHECKPOINT_VERSION) refuse(`version ${String(checkpoint.version)}, this writer reads version ${CHECKPOINT_VERSION}`);
  if (checkpoint.entryCount !== entries.length) refuse(`it is for ${checkpoint.entryCount} entries, not ${entries.length}`);
  if (checkpoint.fingerprint !== fingerprint(entries, opts)) refuse("it was written for other entries (names, sizes, flags) or other options");
  const counts = [checkpoint.nextPart, checkpoint.bytes, checkpoint.entry, checkpoint.bytesUploaded, checkpoint.bytesCopied, checkpoint.bytesRead, checkpoint.parts];
  if (!counts.every((n) => Number.isSafeInteger(n) && n >= 0)) refuse("a counter is not a non-negative integer");
  if (checkpoint.nextPart < 1 || checkpoint.entry > entries.length) refuse("part number or entry index out of range");
  if (!Array.isArray(checkpoint.written) || checkpoint.written.length !== checkpoint.entry) refuse("its written entries do not match its entry index");
  if (checkpoint.sha256State === null) refuse("it holds no SHA-256 state (its run hashed the archive in one go)");
  if (typeof checkpoint.sha256State !== "string") refuse("no SHA-256 state");
  if (!checkpoint.written.every((f) => Array.isArray(f) && f.length === 6 && f.every((n) => Number.isSafeInteger(n)))) refuse("a written entry is not six integers");
  const current = checkpoint.current;
  if (current !== null) {
    if (checkpoint.entry >= entries.length || typeof current !== "object") refuse("a current entry past the last one");
    const entry = entries[checkpoint.entry];
    const numbers = [current.sourceOffset, current.offset, current.headerLength, current.crc32, current.size, current.compressedSize];
    if (!numbers.every((n) => Number.isSafeInteger(n) && n >= 0)) refuse("the current entry's state is not non-negative integers");
    if (current.sourceOffset > entry.sourceBytes || (entry.gzip && current.headerLength > current.sourceOffset)) refuse("the current entry's offset is outside its source");
    if (current.copyFrom !== null && !(Number.isSafeInteger(current.copyFrom) && current.copyFrom <= current.sourceOffset)) refuse("the current entry's copy start is not behind its offset");
    if ((current.csv === null) !== !entry.countCsvRecords) refuse("the current entry's CSV count does not match its countCsvRecords");
    const deflated = !entry.gzip && !entry.store && opts.level > 0;
    if (deflated && current.size % SAFE_STEP !== 0) refuse("a deflated entry's offset is not on a deflate block boundary");
  }
  if (checkpoint.centralWritten > checkpoint.entry || (checkpoint.centralWritten >= 0 && checkpoint.entry !== entries.length)) {
    refuse("central directory progress before the last entry");
  }
}
