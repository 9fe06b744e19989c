// The resumable writer's three kinds of entry data (deflated, stored, re-framed gzip), each able to start mid-entry.
import zlib from "node:zlib";
import { countCsvBlock, CsvRecordCounter } from "./csv-count";
import { crc32Combine } from "./crc32-combine";
import { DEFLATE_BLOCK, DEFLATE_WINDOW, deflateAndCount, deflateBlock, tailOf } from "./deflate-pool";
import { GZIP_TRAILER, gzipHeaderLength, readGzipTrailer, storedDeflateBlock } from "./gzip";
import { OffThreadInflate } from "./inflate-thread";
import { METHOD_DEFLATE, METHOD_STORED } from "./records";
import { copyChunks, copyStart, SAFE_STEP } from "./resumable-plan";
import { SourceReader } from "./resumable-source";
import type { CheckpointCurrentEntry, ResumableZipEntry, ResumableZipOptions } from "./resumable-types";

/** Deflate jobs of one entry queued at once (as in archive.ts). */
const DEFLATE_IN_FLIGHT = 4;

/** What an entry writer needs from the run. */
export interface EntryContext {
  readonly opts: ResumableZipOptions;
  /** The entry's running state; the writer updates it before every safe point (it goes into the checkpoint). */
  readonly current: CheckpointCurrentEntry;
  /** Bytes waiting in the part being filled. */
  readonly buffered: number;
  /** Appends bytes to the archive (hash, count, upload buffer). */
  emit(chunk: Buffer): void;
  /** A safe point: cuts a part when the buffer is full (or, `force`, when it holds anything); may end the run (yield). */
  safePoint(force: boolean): Promise<void>;
  /** Places source [start, end) as the next part by copy while `read` reads the same bytes (hashed as archive bytes); then a safe point. */
  copy(entry: ResumableZipEntry, start: number, end: number, read: (hashed: (piece: Buffer) => void) => Promise<void>): Promise<void>;
  /** A reader of source [start, end) whose reads count into bytesRead / onInput. */
  reader(entry: ResumableZipEntry, start: number, end: number): SourceReader;
  /** Entries that may go by copy parts. */
  copyable(entry: ResumableZipEntry): boolean;
}

export interface EntryOutcome {
  crc32: number;
  size: number;
  compressedSize: number;
  method: number;
  csvRecords?: number;
}

function ignore(): void {}

/**
 * A deflated entry, block for block as `createZipArchive` writes it: 1 MiB blocks of prefix +
 * source, full blocks sync-flushed, the short (maybe empty) last block final. A safe point after
 * each full block's output; resuming at data offset d reads data [d - 32 KiB, d) as the dictionary.
 */
export async function writeDeflated(ctx: EntryContext, entry: ResumableZipEntry, fresh: boolean): Promise<EntryOutcome> {
  if (SAFE_STEP !== DEFLATE_BLOCK) throw new Error("safe points must fall on deflate block boundaries");
  const { current } = ctx;
  const prefix = entry.prefix ?? Buffer.alloc(0);
  const p = prefix.length;
  const total = p + entry.sourceBytes;
  const start = fresh ? 0 : current.size;
  const counter = entry.countCsvRecords ? new CsvRecordCounter(fresh ? null : current.csv) : null;
  let crc = fresh ? 0 : current.crc32;
  let compressed = fresh ? 0 : current.compressedSize;
  let dictionary: Buffer | null = start === 0 ? null : await readData(ctx, entry, prefix, start - DEFLATE_WINDOW, start);
  const reader = ctx.reader(entry, Math.max(0, start - p), entry.sourceBytes);
  const inFlight: { block: Buffer; end: number; crcAfter: number; last: boolean; job: Promise<{ out: Buffer | null; count: ReturnType<typeof countCsvBlock> | null }> }[] = [];
  try {
    for (let at = start; ; ) {
      const last = total - at < DEFLATE_BLOCK;
      const length = last ? total - at : DEFLATE_BLOCK;
      const fromPrefix = at < p ? prefix.subarray(at, Math.min(p, at + length)) : null;
      const fromSource = await reader.read(length - (fromPrefix?.length ?? 0));
      const block = fromPrefix ? Buffer.concat([fromPrefix, fromSource]) : fromSource;
      crc = zlib.crc32(block, crc);
      const job = counter
        ? deflateAndCount(block, ctx.opts.level, dictionary, last)
        : deflateBlock(block, ctx.opts.level, dictionary, last).then((out) => ({ out, count: null }));
      job.catch(ignore); // awaited in order below; a yield or failure may leave it unawaited
      at += length;
      inFlight.push({ block, end: at, crcAfter: crc, last, job });
      dictionary = tailOf(dictionary, block, DEFLATE_WINDOW);
      while (inFlight.length >= (last ? 1 : DEFLATE_IN_FLIGHT)) {
        const head = inFlight.shift()!;
        const { out, count } = await head.job;
        if (count) counter!.add(count, head.block);
        compressed += out!.length;
        if (out!.length > 0) ctx.emit(out!);
        if (head.last) continue;
        Object.assign(current, { size: head.end, sourceOffset: head.end - p, crc32: head.crcAfter, compressedSize: compressed, csv: counter?.save() ?? null });
        await ctx.safePoint(false);
      }
      if (last) break;
    }
  } finally {
    reader.close();
  }
  return {
    crc32: crc,
    size: total,
    compressedSize: compressed,
    method: METHOD_DEFLATE,
    ...(counter ? { csvRecords: entry.sourceBytes === 0 ? 0 : counter.records } : {}),
  };
}

/** Data bytes [from, to) of prefix + source (from may be below 0 only by a caller's mistake: clamped). */
async function readData(ctx: EntryContext, entry: ResumableZipEntry, prefix: Buffer, from: number, to: number): Promise<Buffer> {
  const start = Math.max(0, from);
  const head = prefix.subarray(Math.min(start, prefix.length), Math.min(to, prefix.length));
  const sourceFrom = Math.max(0, start - prefix.length);
  const sourceTo = to - prefix.length;
  if (sourceTo <= sourceFrom) return head;
  const reader = ctx.reader(entry, sourceFrom, sourceTo);
  try {
    return Buffer.concat([head, await reader.read(sourceTo - sourceFrom)]);
  } finally {
    reader.close();
  }
}

/** A stored entry: prefix + source as they are; safe points every 1 MiB of source, or copy parts. */
export async function writeStored(ctx: EntryContext, entry: ResumableZipEntry, fresh: boolean): Promise<EntryOutcome> {
  const { current } = ctx;
  const prefix = entry.prefix ?? Buffer.alloc(0);
  const size = entry.sourceBytes;
  const counter = entry.countCsvRecords ? new CsvRecordCounter(fresh ? null : current.csv) : null;
  const take = (piece: Buffer) => {
    current.crc32 = zlib.crc32(piece, current.crc32);
    current.size += piece.length;
    current.compressedSize += piece.length;
    counter?.add(countCsvBlock(piece), piece);
  };
  if (fresh) {
    if (prefix.length > 0) {
      take(prefix);
      ctx.emit(prefix);
    }
    current.copyFrom = ctx.copyable(entry) ? copyStart(ctx.buffered, 0, size, ctx.opts) : null;
  }
  const reader = ctx.reader(entry, current.sourceOffset, size);
  try {
    const uploadEnd = current.copyFrom ?? size;
    while (current.sourceOffset < uploadEnd) {
      const next = Math.min(uploadEnd, (Math.floor(current.sourceOffset / SAFE_STEP) + 1) * SAFE_STEP);
      await reader.forEach(next - current.sourceOffset, (piece) => {
        take(piece);
        ctx.emit(piece);
      });
      current.sourceOffset = next;
      current.csv = counter?.save() ?? null;
      if (next < uploadEnd) await ctx.safePoint(false);
    }
    if (current.copyFrom !== null) {
      await ctx.safePoint(true);
      for (const [a, b] of copyChunks(current.copyFrom, size, ctx.opts.maxCopyBytes)) {
        if (b <= current.sourceOffset) continue;
        await ctx.copy(entry, a, b, (hashed) =>
          reader.forEach(b - a, (piece) => {
            hashed(piece);
            take(piece);
          }),
        );
      }
    }
  } finally {
    reader.close();
  }
  return {
    crc32: current.crc32,
    size: current.size,
    compressedSize: current.compressedSize,
    method: METHOD_STORED,
    ...(counter ? { csvRecords: size === 0 ? 0 : counter.records } : {}),
  };
}

/**
 * A gzip member re-framed as a deflated entry (as `createZipArchive` does it): the prefix as a
 * stored block, then the deflate data between the gzip header and trailer. An inflate pass reads
 * the data through for the true size, CRC and record count and checks them against the trailer;
 * it cannot be saved, so a resumed run inflates [header end, offset) again, without hashing or
 * uploading those bytes: at most one entry's data is read twice.
 */
export async function writeGzip(ctx: EntryContext, entry: ResumableZipEntry, fresh: boolean): Promise<EntryOutcome> {
  const { current } = ctx;
  const prefix = entry.prefix ?? Buffer.alloc(0);
  const size = entry.sourceBytes;
  const counter = entry.countCsvRecords ? new CsvRecordCounter() : null;
  const inflate = new InflatePass(entry.name, counter);
  let reader: SourceReader | null = null;
  try {
    if (fresh) {
      reader = ctx.reader(entry, 0, size);
      current.headerLength = await readHeader(reader, entry, size);
      if (size - current.headerLength < GZIP_TRAILER) throw new Error(`${entry.name}: the gzip data ends before its trailer`);
      const block = prefix.length > 0 ? storedDeflateBlock(prefix) : Buffer.alloc(0);
      if (block.length > 0) ctx.emit(block);
      current.compressedSize = block.length;
      current.sourceOffset = current.headerLength;
      current.copyFrom = ctx.copyable(entry) ? copyStart(ctx.buffered, current.headerLength, size - GZIP_TRAILER, ctx.opts) : null;
    } else {
      reader = ctx.reader(entry, current.headerLength, size);
      await reader.forEach(current.sourceOffset - current.headerLength, (piece) => inflate.write(piece));
    }
    const dataEnd = size - GZIP_TRAILER;
    const uploadEnd = current.copyFrom ?? dataEnd;
    const source = reader;
    while (current.sourceOffset < uploadEnd) {
      const next = Math.min(uploadEnd, (Math.floor(current.sourceOffset / SAFE_STEP) + 1) * SAFE_STEP);
      await source.forEach(next - current.sourceOffset, (piece) => {
        ctx.emit(piece);
        current.compressedSize += piece.length;
        return inflate.write(piece);
      });
      current.sourceOffset = next;
      if (next < uploadEnd) await ctx.safePoint(false);
    }
    if (current.copyFrom !== null) {
      await ctx.safePoint(true);
      for (const [a, b] of copyChunks(current.copyFrom, dataEnd, ctx.opts.maxCopyBytes)) {
        if (b <= current.sourceOffset) continue;
        await ctx.copy(entry, a, b, (hashed) =>
          source.forEach(b - a, (piece) => {
            hashed(piece);
            current.compressedSize += piece.length;
            return inflate.write(piece);
          }),
        );
      }
    }
    const trailer = readGzipTrailer(await source.read(GZIP_TRAILER));
    await inflate.end();
    if (inflate.trailing || trailer.crc32 !== inflate.crc || trailer.isize !== inflate.size % 0x1_0000_0000) {
      // Also what a second gzip member looks like: the first one's deflate data ends early.
      throw new Error(`${entry.name}: the gzip trailer does not match its data (not one intact gzip member)`);
    }
    return {
      crc32: crc32Combine(zlib.crc32(prefix), inflate.crc, inflate.size),
      size: prefix.length + inflate.size,
      compressedSize: current.compressedSize,
      method: METHOD_DEFLATE,
      ...(counter ? { csvRecords: inflate.size === 0 ? 0 : counter.records } : {}),
    };
  } finally {
    reader?.close();
    inflate.destroy();
  }
}

/** Reads until the gzip header is complete; returns its length and leaves the reader just past it. */
async function readHeader(reader: SourceReader, entry: ResumableZipEntry, size: number): Promise<number> {
  let head = Buffer.alloc(0);
  for (;;) {
    if (reader.offset >= size) throw new Error(`${entry.name}: the gzip data ends before its trailer`);
    head = Buffer.concat([head, await reader.pull(64 * 1024)]);
    const length = gzipHeaderLength(head);
    if (length === null) continue;
    reader.unshift(head.subarray(length));
    return length;
  }
}

/**
 * The inflate pass (size, CRC, CSV records) on an inflate thread (inflate-thread.ts: the output
 * never becomes main-thread Buffers); `end` fills in the totals and feeds the record count in.
 */
class InflatePass {
  crc = 0;
  size = 0;
  /** Data arrived after the deflate stream had ended (a second member, or junk). */
  trailing = false;
  private readonly pass: OffThreadInflate;

  constructor(
    name: string,
    private readonly counter: CsvRecordCounter | null,
  ) {
    this.pass = new OffThreadInflate(name, counter !== null);
  }

  write(piece: Buffer): Promise<void> {
    return this.pass.write(piece);
  }

  async end(): Promise<void> {
    const totals = await this.pass.end();
    this.crc = totals.crc32;
    this.size = totals.size;
    this.trailing = totals.trailing;
    // The whole stream as one block: its count, and its last byte for a last line without a newline.
    if (this.counter && totals.count) this.counter.add(totals.count, totals.lastByte === -1 ? Buffer.alloc(0) : Buffer.from([totals.lastByte]));
  }

  destroy(): void {
    this.pass.destroy();
  }
}
