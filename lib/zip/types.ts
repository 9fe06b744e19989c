// The zip writer's inputs, options and result.
import type { Readable } from "node:stream";

export interface ZipEntryInput {
  /** Path inside the archive, "/"-separated, stored as UTF-8. */
  name: string;
  /** Opens the entry's bytes. Called once, when the entry's turn to be compressed comes. */
  open: () => Promise<NodeJS.ReadableStream | Readable>;
  /** Bytes written before the stream's (e.g. a UTF-8 BOM); counted in the entry's size and CRC. */
  prefix?: Buffer;
  /**
   * Count the stream's CSV records (newlines outside `"` quotes, plus an unterminated last line;
   * a header counts as one; the prefix must hold neither quotes nor newlines) into the result's `csvRecords`. Counted on the deflate threads while
   * they compress the same blocks, so it costs no extra pass over the bytes.
   */
  countCsvRecords?: boolean;
  /**
   * The stream is one gzip member (as Redshift's UNLOAD ... GZIP writes each part): its deflate
   * data becomes the entry as it is, without being inflated and deflated again. An inflate pass
   * (zlib, off the main thread) still reads it through, to learn the true size and CRC (the
   * trailer's ISIZE is the size mod 4 GiB) and count records, and checks them against the
   * trailer. A prefix goes in front as a stored deflate block.
   */
  gzip?: boolean;
}

export interface ZipOptions {
  /** 0 = stored, 1..9 = deflate level. Level 1 is the sweet spot: level 6 takes 2.5-3x the time for a 10-17% smaller zip. */
  level: number;
  /** One timestamp for every entry, so the same export gives the same bytes. */
  mtime: Date;
  /** Told the size of every chunk read from an entry's stream (not its prefix), as it is read: for progress reports. */
  onInput?: (bytes: number) => void;
}

export interface ZipResult {
  /** Total length of the archive. */
  bytes: number;
  /** SHA-256 (hex) of the archive, computed as it was emitted. */
  sha256: string;
  entries: { name: string; size: number; compressedSize: number; crc32: number; csvRecords?: number; inputBytes: number }[];
}
