// The resumable zip writer's public types: entries read by byte range, a multipart sink, a JSON checkpoint.
import type { Readable } from "node:stream";

/*
 * The resumable writer produces the same archive bytes as `createZipArchive` (same records, same
 * pigz-style 1 MiB deflate blocks, same gzip re-framing), but instead of one stream it writes
 * numbered multipart "parts" into a sink, and after every part it hands the caller a checkpoint
 * (small JSON) from which a later run, in another process, carries on. A run stops either when
 * the archive is complete or, at a safe point after a part, when the caller asks it to yield.
 *
 * Safe points (where a part may end, so nothing is pending when a checkpoint is taken):
 * - a plain (deflated) entry: after each 1 MiB deflate block's output. Resuming there re-reads
 *   the 32 KiB before the offset as the next block's dictionary and continues the CRC, sizes and
 *   CSV count from the checkpoint;
 * - a stored entry: at 1 MiB boundaries of its data, and at copy-part boundaries;
 * - a gzip entry: at 1 MiB boundaries of the source (inside its deflate data) and at copy-part
 *   boundaries. Resuming mid-entry restarts the inflate pass (true size, CRC, record count) from
 *   the entry's deflate data start: the bytes before the offset are read again for inflate only,
 *   neither hashed nor uploaded again. That re-read is bounded by one entry;
 * - between entries, between central directory headers, and at the end.
 *
 * Copy plan (opts.copy and an entry's copySource): for a gzip or stored entry whose data is long
 * enough, the part being filled is topped up to `minPartBytes` from the entry's first data bytes
 * and uploaded; the rest of the entry's data goes by `sink.copyPart` in chunks of at most
 * `maxCopyBytes` and at least `minPartBytes` (split evenly); the next uploaded part starts with
 * the entry's data descriptor. The layout is a pure function of the entries' names, sizes and
 * flags, the options and the gzip header lengths, so a resumed run recomputes the same parts.
 */

/** One archive entry, read by byte range so a resumed run can start in the middle. */
export interface ResumableZipEntry {
  /** Path inside the archive, "/"-separated, stored as UTF-8 (same rules as `createZipArchive`). */
  name: string;
  /** Size of the source object in bytes, known up front. A source that yields more or fewer bytes fails the run. */
  sourceBytes: number;
  /**
   * Opens source bytes [start, endExclusive). May be called several times per entry (and again
   * after a resume), for any range inside [0, sourceBytes); ranges are read in order.
   */
  openRange: (start: number, endExclusive: number) => Promise<NodeJS.ReadableStream | Readable>;
  /** Bytes in front of the source's (a UTF-8 BOM), counted in the entry's size and CRC; at most 65,535 bytes. */
  prefix?: Buffer;
  /** The source is one gzip member: its deflate data becomes the entry without recompression (as `ZipEntryInput.gzip`). */
  gzip?: boolean;
  /** Count CSV records (as `ZipEntryInput.countCsvRecords`) into the result's `csvRecords`. */
  countCsvRecords?: boolean;
  /**
   * Store this entry (method 0) even when `level` > 0: for already compressed data (Parquet).
   * Ignored for gzip entries. `createZipArchive` has no such flag: with it the bytes differ from
   * `createZipArchive`'s for the same entries (which would deflate the entry).
   */
  store?: boolean;
  /**
   * Opaque id of the source object that `sink.copyPart` can copy from server-side (an S3
   * "bucket/key"). Used only with `opts.copy`, for gzip and stored entries.
   */
  copySource?: string;
}

export interface ResumableZipOptions {
  /** 0 = stored, 1..9 = deflate level (plain entries). */
  level: number;
  /** One timestamp for every entry. */
  mtime: Date;
  /**
   * Target size of uploaded parts: a part is cut at the first safe point at or past it. Must be
   * >= minPartBytes. Grown (to whole MiB, the same way on every run) when the archive could need
   * more than 10,000 parts.
   */
  partBytes: number;
  /** Smallest allowed part but the last (S3: 5 MiB). Tests use small values (64 KiB). */
  minPartBytes: number;
  /**
   * Largest copy part (S3 UploadPartCopy: <= 5 GiB), also the spacing of safe points inside a
   * copied entry. Must be >= 2 * minPartBytes (so an even split never makes a chunk too small).
   */
  maxCopyBytes: number;
  /** Place the bulk of long gzip/stored entries with `sink.copyPart` (needs `sink.copyPart` and entries' `copySource`). */
  copy: boolean;
  /**
   * The caller expects this run to write the whole archive: hash it with node:crypto (SHA-NI:
   * 1.5-1.8 GB/s here, against hash-wasm's 230-420 MB/s), whose state cannot be saved. Its
   * checkpoints then carry no SHA-256 state (`sha256State` null) and a later run refuses them
   * (`ZipCheckpointMismatchError`): after a crash or a yield the archive starts again, from a run
   * without `oneGo`. Only for a fresh run; the bytes and the digest are the same either way.
   */
  oneGo?: boolean;
  /** Told the size of every chunk read from a source (re-reads included), as it is read: for progress. */
  onInput?: (bytes: number) => void;
}

/**
 * Where the parts go: an S3 multipart upload (or the disk store's equivalent). Part numbers start
 * at 1 and are consecutive. Doing a part number again (after a crash) sends the same bytes or the
 * same range again and must be harmless. The sink, not the checkpoint, keeps ETags (S3 ListParts
 * recovers them); creating and completing the multipart upload is the caller's job.
 */
export interface ResumableZipSink {
  uploadPart(partNumber: number, body: Buffer): Promise<void>;
  /** Copies source bytes [start, endExclusive) of `copySource` into part `partNumber` server-side (S3 UploadPartCopy). */
  copyPart?(partNumber: number, copySource: string, start: number, endExclusive: number): Promise<void>;
}

export interface ResumableZipHooks {
  /**
   * Called after every part (uploaded or copied), awaited before the writer goes on: the caller
   * stores it (job store) so a crash resumes from here. The object is fresh JSON-able data.
   */
  saveCheckpoint(checkpoint: ResumableZipCheckpoint): Promise<void>;
  /** Asked at every safe point after a part and its checkpoint; true stops the run with `{ state: "yielded" }`. */
  shouldYield(): boolean;
}

/** A finished entry's facts for the central directory and the result: [crc32, size, compressedSize, offset, method, csvRecords or -1]. */
export type CheckpointEntryFacts = [number, number, number, number, number, number];

/** The entry being written when the checkpoint was taken (null between entries). */
export interface CheckpointCurrentEntry {
  /** Offset reached in the entry's source object (plain/stored: may be negative while inside the prefix; never at a checkpoint in practice). */
  sourceOffset: number;
  /** Archive offset of the entry's local header. */
  offset: number;
  /** Gzip entries: the gzip header's length (where the deflate data starts in the source). */
  headerLength: number;
  /** Copied entries: source offset where the copy parts start; null when the entry is not copied. */
  copyFrom: number | null;
  /** CRC-32 of the entry's uncompressed bytes so far (prefix included). */
  crc32: number;
  /** Uncompressed bytes so far (prefix included). */
  size: number;
  /** Entry data bytes placed in the archive so far. */
  compressedSize: number;
  /** CSV counter state: [inQuotes 0/1, boundaries, last byte or -1]; null when not counting. */
  csv: [number, number, number] | null;
}

export interface ResumableZipCheckpoint {
  version: 1;
  /** SHA-256 (hex) of the entries' names, sizes, flags and the options that shape the bytes: a resumed run must match it. */
  fingerprint: string;
  entryCount: number;
  /** Next part number to write (1 before the first part). */
  nextPart: number;
  /** Archive bytes placed so far (uploaded and copied). */
  bytes: number;
  /**
   * hash-wasm SHA-256 state (save()) over every archive byte so far, base64; null when the run
   * hashed with `opts.oneGo` (such a checkpoint shows progress but cannot be resumed).
   */
  sha256State: string | null;
  /** Index of the entry being written or next to write (entryCount once all are written). */
  entry: number;
  /** The entry `entry` has its local header written; null when not started. */
  current: CheckpointCurrentEntry | null;
  /** Facts of entries [0, entry), in order. */
  written: CheckpointEntryFacts[];
  /** Central directory headers written (once entry === entryCount); -1 before the directory starts. */
  centralWritten: number;
  /** Archive offset where the central directory starts (once it has). */
  centralStart: number;
  /** True once the last part (with the end records) has been written. */
  complete: boolean;
  /** Counters over all runs so far (as of this checkpoint). */
  bytesUploaded: number;
  bytesCopied: number;
  bytesRead: number;
  parts: number;
}

export interface ResumableZipResult {
  /** Total length of the archive. */
  bytes: number;
  /** SHA-256 (hex) of every archive byte in order, copied bytes included. */
  sha256: string;
  entries: { name: string; size: number; compressedSize: number; crc32: number; csvRecords?: number; inputBytes: number }[];
  /** Number of parts (the last part number). */
  parts: number;
  /** Bytes the writer sent with `sink.uploadPart` over all runs (re-sent parts after a crash included from the checkpoint on). */
  bytesUploaded: number;
  /** Bytes placed by `sink.copyPart` over all runs. */
  bytesCopied: number;
  /** Source bytes the writer read over all runs, re-reads on resume included. */
  bytesRead: number;
}

export type ResumableZipOutcome =
  | { state: "done"; result: ResumableZipResult }
  | { state: "yielded"; checkpoint: ResumableZipCheckpoint };

/** S3's limits on multipart uploads. */
export const S3_MAX_PARTS = 10_000;
export const S3_MIN_PART_BYTES = 5 * 1024 * 1024;
export const S3_MAX_PART_BYTES = 5 * 1024 * 1024 * 1024;

/** A checkpoint that does not belong to these entries and options (or to this writer's version): refused, never half-used. */
export class ZipCheckpointMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ZipCheckpointMismatchError";
  }
}
