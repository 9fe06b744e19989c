// Archive assembly: entries in, one zip stream out, deflated on every core with flat memory.
import { createHash } from "node:crypto";
import type { Readable, Writable } from "node:stream";
import { Readable as ReadableStream } from "node:stream";
import zlib from "node:zlib";
import { readInBlocks, toBuffer, toReadable } from "./block-reader";
import { type CsvBlockCount, CsvRecordCounter, csvRecordsOf } from "./csv-count";
import { DEFLATE_BLOCK, DEFLATE_WINDOW, deflateAndCount, deflateBlock, tailOf } from "./deflate-pool";
import { crc32Combine } from "./crc32-combine";
import type { ZipEntryInput, ZipOptions, ZipResult } from "./types";
import { GZIP_TRAILER, gzipHeaderLength, readGzipTrailer, storedDeflateBlock } from "./gzip";
import { OffThreadInflate } from "./inflate-thread";
import {
  type CentralEntry,
  type EntryData,
  type HeaderStyle,
  centralHeader,
  dataDescriptor,
  encodeEntryNames,
  endRecords,
  headerStyle,
  localHeader,
  METHOD_DEFLATE,
  METHOD_STORED,
} from "./records";

export type { ZipEntryInput, ZipOptions, ZipResult } from "./types";

/*
 * Parallelism: entries are written one after another, in input order, straight into the output.
 * Within an entry, deflate is parallel, as pigz does it: the input is cut into 1 MiB blocks, each
 * block is deflated on one of a few shared worker threads (primed with the previous block's last
 * 32 KiB, so the ratio matches one stream's), every block but the last ends with a sync flush,
 * and the outputs are written in order; so even a one-part export uses every core. The main
 * thread only moves buffers, runs `zlib.crc32` (~5 GB/s) and hashes the (compressed) output. At
 * most a few blocks are in flight, so memory stays flat and a slow consumer stalls the reads.
 *
 * There is no entry-level window any more (compressing the next entries into spool files while
 * the head streams): once deflate was block-parallel it cost time instead of saving it. Measured
 * at 72c9d05 on 2 shared cores: `bench:export --rows 10000000 --concurrency 1,2 --runs 3` (4 parts,
 * 988 MB of CSV) took 1.44x, 1.13x and 1.28x as long in the archive step with the window as
 * without (median 1.28x); `bench-zip --mb 200 --parts 4 --runs 3` 2.90 s vs 2.06 s (1.41x). At 1M
 * rows there is one part, so no window at all. Both cores were already busy deflating blocks; the
 * spool files only added disk writes and reads.
 */

/** Bytes the output stream holds before the writer waits for its consumer. */
const OUTPUT_HIGH_WATER_MARK = 512 * 1024;
/** Deflate jobs of one entry queued at once: enough to keep libuv's 4 pool threads (and 2 cores) busy. */
const DEFLATE_IN_FLIGHT = 4;
const CENTRAL_BATCH = 64 * 1024;

/**
 * Streams a zip of `entries`, in order. Reading `stream` drives the work (nothing is opened
 * before the first read); `result` settles when the last byte has been pushed or the archive
 * failed. An input error or destroying `stream` stops every read and deflate, errors `stream`
 * with that error and rejects `result` with it (once the work in progress has stopped). `result`
 * is pre-handled: a caller who only watches `stream` gets no unhandled rejection.
 *
 * Input chunks must be bytes; string chunks (a stream with an encoding set) are written as UTF-8.
 * Throws synchronously on invalid options or entry names (a programming error, not an I/O one).
 */
export function createZipArchive(entries: ZipEntryInput[], opts: ZipOptions): { stream: Readable; result: Promise<ZipResult> } {
  const checked = checkOptions(opts);
  const names = encodeEntryNames(entries.map((e) => e.name));
  const archive = new ZipArchiveRun(
    entries.map((input, i) => ({ input, nameBytes: names[i] })),
    checked,
  );
  return { stream: archive.stream, result: archive.result };
}

interface PreparedEntry {
  input: ZipEntryInput;
  nameBytes: Buffer;
}

interface MeasuredEntry extends EntryData {
  csvRecords?: number;
  /** Bytes read from the entry's stream (its prefix not included). */
  inputBytes: number;
  method: number;
}

interface WrittenEntry extends CentralEntry {
  name: string;
  csvRecords?: number;
  inputBytes: number;
}

type ChunkWriter = (chunk: Buffer) => Promise<void>;

/*
 * Streams are moved by hand (for await + write/drain) rather than with stream.pipeline(): each
 * pipeline() costs an AbortController, a DOMException and several listeners, which made
 * archives of many small entries (65k+) spend most of their time in the garbage collector.
 * Errors travel through promises only: streams are always destroyed *without* an error, so no
 * stream ever emits an unhandled 'error' after its reader has gone.
 */
class ZipArchiveRun {
  readonly stream: Readable;
  readonly result: Promise<ZipResult>;

  private resolveResult!: (result: ZipResult) => void;
  private rejectResult!: (error: unknown) => void;
  private readonly abort = new AbortController();
  private readonly hash = createHash("sha256");
  private bytes = 0;
  private started = false;
  private completed = false;
  /** Set when the readable asked for data while no write was waiting (possibly during a push). */
  private readRequested = false;
  private waiter: { resolve: () => void; reject: (error: unknown) => void } | null = null;
  /** Work in progress; a failed archive settles only once all of it has stopped. */
  private readonly tasks = new Set<Promise<unknown>>();
  /** Inputs and deflate streams in use; destroyed on abort so every loop reading them ends. */
  private readonly live = new Set<Readable | Writable>();
  private readonly style: HeaderStyle;

  constructor(
    private readonly entries: PreparedEntry[],
    private readonly opts: ZipOptions,
  ) {
    this.result = new Promise<ZipResult>((resolve, reject) => {
      this.resolveResult = resolve;
      this.rejectResult = reject;
    });
    this.result.catch(() => undefined);
    this.style = headerStyle(opts.level === 0 ? METHOD_STORED : METHOD_DEFLATE, opts.mtime);
    this.stream = new ReadableStream({
      highWaterMark: OUTPUT_HIGH_WATER_MARK,
      read: () => this.onRead(),
      destroy: (error, callback) => this.onDestroy(error, callback),
    });
  }

  private onRead(): void {
    if (!this.started) {
      this.started = true;
      this.track(this.run());
      return;
    }
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = null;
      waiter.resolve();
    } else {
      this.readRequested = true;
    }
  }

  private onDestroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.completed) {
      callback(error);
      return;
    }
    const reason = error ?? new Error("zip archive stream was destroyed before the archive was complete");
    this.abort.abort(reason);
    this.waiter?.reject(reason);
    this.waiter = null;
    for (const stream of this.live) stream.destroy();
    this.cleanUp().then(
      () => {
        this.rejectResult(reason);
        callback(error);
      },
      (cleanupError: unknown) => {
        this.rejectResult(reason);
        callback(error ?? toError(cleanupError));
      },
    );
  }

  private async run(): Promise<void> {
    try {
      const summary = await this.writeArchive();
      this.completed = true;
      this.stream.push(null);
      this.resolveResult(summary);
    } catch (error) {
      this.fail(error);
    }
  }

  /**
   * The first failure wins: it destroys the stream, which runs `onDestroy` once with it. Errors
   * that follow (streams ending early because of the abort) find the stream destroyed.
   */
  private fail(error: unknown): void {
    if (!this.completed && !this.stream.destroyed) this.stream.destroy(toError(error));
  }

  private track<T>(task: Promise<T>): Promise<T> {
    this.tasks.add(task);
    const forget = () => this.tasks.delete(task);
    task.then(forget, forget);
    return task;
  }

  private async cleanUp(): Promise<void> {
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
  }

  private async writeArchive(): Promise<ZipResult> {
    const written: WrittenEntry[] = [];
    const emit: ChunkWriter = (chunk) => this.emit(chunk);
    for (const prepared of this.entries) {
      const offset = this.bytes;
      const method = prepared.input.gzip ? METHOD_DEFLATE : this.style.method;
      await this.emit(localHeader(this.style, prepared.nameBytes, method));
      const data = prepared.input.gzip ? await this.reframe(prepared, emit) : await this.compress(prepared, emit);
      await this.emit(dataDescriptor(data));
      written.push({ ...data, nameBytes: prepared.nameBytes, offset, name: prepared.input.name });
    }
    await this.writeCentralDirectory(written);
    return {
      bytes: this.bytes,
      sha256: this.hash.digest("hex"),
      entries: written.map((w) => ({
        name: w.name,
        ...pickEntryData(w),
        inputBytes: w.inputBytes,
        ...(w.csvRecords === undefined ? {} : { csvRecords: w.csvRecords }),
      })),
    };
  }

  /** Streams one entry (prefix + input) through CRC/size accounting, deflate and record counting into `write`. */
  private async compress(prepared: PreparedEntry, write: ChunkWriter): Promise<MeasuredEntry> {
    const input = await this.openInput(prepared);
    const measured = { crc32: 0, size: 0 };
    const measure = (chunk: Buffer): Buffer => {
      measured.crc32 = zlib.crc32(chunk, measured.crc32);
      measured.size += chunk.length;
      return chunk;
    };
    const onInput = this.opts.onInput;
    const prefix = prepared.input.prefix ?? Buffer.alloc(0);
    const counter = prepared.input.countCsvRecords ? new CsvRecordCounter() : null;
    const stored = this.style.method === METHOD_STORED;
    try {
      if (stored && !counter) {
        if (prefix.length > 0) await write(measure(prefix));
        let inputBytes = 0;
        for await (const chunk of input) {
          const bytes = toBuffer(chunk);
          inputBytes += bytes.length;
          onInput?.(bytes.length);
          await write(measure(bytes));
        }
        return { ...measured, compressedSize: measured.size, inputBytes, method: METHOD_STORED };
      }
      // Fixed-size blocks, several at once on the deflate threads (see the comment above): each
      // is deflated (unless stored) and its CSV boundaries counted there; results come back in order.
      const inFlight: { block: Buffer; job: Promise<{ out: Buffer | null; count: CsvBlockCount | null }> }[] = [];
      let compressedSize = 0;
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      let dictionary: Buffer | null = null;
      const level = stored ? null : this.opts.level;
      const submit = (block: Buffer, last: boolean) => {
        const job = counter
          ? deflateAndCount(block, level, dictionary, last)
          : deflateBlock(block, level!, dictionary, last).then((out) => ({ out, count: null }));
        job.catch(ignore); // awaited in order below; an abort may leave it unawaited
        inFlight.push({ block, job });
        if (!stored) dictionary = tailOf(dictionary, block, DEFLATE_WINDOW);
      };
      const flushBlock = async (last: boolean) => {
        const block = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
        pending = [];
        pendingBytes = 0;
        submit(block, last);
        while (inFlight.length >= (last ? 1 : DEFLATE_IN_FLIGHT)) {
          const head = inFlight.shift()!;
          const { out, count } = await head.job;
          this.abort.signal.throwIfAborted();
          if (count) counter!.add(count, head.block);
          const bytes = out ?? head.block;
          compressedSize += bytes.length;
          if (bytes.length > 0) await write(bytes);
        }
      };
      const take = async (chunk: Buffer) => {
        measure(chunk);
        for (let at = 0; at < chunk.length; ) {
          const n = Math.min(chunk.length - at, DEFLATE_BLOCK - pendingBytes);
          pending.push(at === 0 && n === chunk.length ? chunk : chunk.subarray(at, at + n));
          pendingBytes += n;
          at += n;
          if (pendingBytes === DEFLATE_BLOCK) await flushBlock(false);
        }
      };
      // A prefix (a BOM) has no quotes or newlines: it reads as the start of the first record.
      if (prefix.length > 0) await take(prefix);
      let streamBytes = 0;
      for await (const chunk of readInBlocks(input, DEFLATE_BLOCK)) {
        const bytes = toBuffer(chunk);
        streamBytes += bytes.length;
        onInput?.(bytes.length);
        await take(bytes);
      }
      await flushBlock(true);
      return {
        ...measured,
        compressedSize,
        inputBytes: streamBytes,
        method: this.style.method,
        ...(counter ? { csvRecords: streamBytes === 0 ? 0 : counter.records } : {}),
      };
    } catch (error) {
      // After an abort the loops end with "premature close"; report the reason instead.
      this.abort.signal.throwIfAborted();
      throw error;
    } finally {
      input.destroy();
      this.live.delete(input);
    }
  }

  /**
   * Copies a gzip member's deflate data into the archive as the entry's data (see `gzip`), with
   * the prefix as a stored block in front. The inflate pass (size, CRC and, when asked, the
   * record count) runs alongside the copy on an inflate thread (see inflate-thread.ts); the main
   * thread keeps the last 8 bytes back (the trailer is only known at the end).
   */
  private async reframe(prepared: PreparedEntry, write: ChunkWriter): Promise<MeasuredEntry> {
    const input = await this.openInput(prepared);
    const onInput = this.opts.onInput;
    const prefix = prepared.input.prefix ?? Buffer.alloc(0);
    const counting = prepared.input.countCsvRecords === true;
    const inflater = new OffThreadInflate(prepared.input.name, counting);
    const stopInflate = () => inflater.destroy();
    this.abort.signal.addEventListener("abort", stopInflate, { once: true });
    let inputBytes = 0;
    let compressedSize = 0;
    let head: Buffer | null = Buffer.alloc(0); // bytes until the gzip header has been read, then null
    let held = Buffer.alloc(0); // the last bytes seen, which may be the trailer
    const pass = async (data: Buffer) => {
      if (data.length === 0) return;
      compressedSize += data.length;
      await write(data);
      await inflater.write(data);
    };
    try {
      if (prefix.length > 0) {
        const block = storedDeflateBlock(prefix);
        compressedSize += block.length;
        await write(block);
      }
      for await (const chunk of readInBlocks(input, DEFLATE_BLOCK)) {
        let bytes = toBuffer(chunk);
        inputBytes += bytes.length;
        onInput?.(bytes.length);
        if (head) {
          head = Buffer.concat([head, bytes]);
          const length = gzipHeaderLength(head);
          if (length === null) continue;
          bytes = head.subarray(length);
          head = null;
        }
        const joined = held.length > 0 ? Buffer.concat([held, bytes]) : bytes;
        const keep = Math.min(GZIP_TRAILER, joined.length);
        held = Buffer.from(joined.subarray(joined.length - keep));
        await pass(joined.subarray(0, joined.length - keep));
        this.abort.signal.throwIfAborted();
      }
      if (head || held.length < GZIP_TRAILER) throw new Error(`${prepared.input.name}: the gzip data ends before its trailer`);
      const { crc32: streamCrc, size: inflated, count, lastByte, trailing } = await inflater.end();
      const trailer = readGzipTrailer(held);
      if (trailing || trailer.crc32 !== streamCrc || trailer.isize !== inflated % 0x1_0000_0000) {
        // Also what a second gzip member looks like: the first one's deflate data ends early.
        throw new Error(`${prepared.input.name}: the gzip trailer does not match its data (not one intact gzip member)`);
      }
      return {
        // The prefix joins the stream's CRC arithmetically: one CRC pass over the data, not two.
        crc32: crc32Combine(zlib.crc32(prefix), streamCrc, inflated),
        size: prefix.length + inflated,
        compressedSize,
        inputBytes,
        method: METHOD_DEFLATE,
        ...(counting ? { csvRecords: inflated === 0 ? 0 : csvRecordsOf(count!, lastByte) } : {}),
      };
    } catch (error) {
      this.abort.signal.throwIfAborted();
      throw error;
    } finally {
      this.abort.signal.removeEventListener("abort", stopInflate);
      input.destroy();
      inflater.destroy();
      this.live.delete(input);
    }
  }

  /**
   * Opens an entry's stream, giving up when the archive is aborted even if `open()` never
   * settles (a stream that arrives after that is destroyed unread).
   */
  private async openInput(prepared: PreparedEntry): Promise<Readable> {
    const opening = prepared.input.open().then(toReadable);
    const signal = this.abort.signal;
    try {
      const input = await new Promise<Readable>((resolve, reject) => {
        const onAbort = () => reject(signal.reason);
        if (signal.aborted) return onAbort();
        signal.addEventListener("abort", onAbort, { once: true });
        opening.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
      });
      signal.throwIfAborted();
      return this.adopt(input);
    } catch (error) {
      opening.then((late) => late.destroy(), () => undefined);
      throw error;
    }
  }

  /** Registers a stream to be destroyed on abort, and keeps its errors from going unhandled. */
  private adopt<T extends Readable | Writable>(stream: T): T {
    stream.on("error", ignore); // the loop reading or writing it sees the error and rejects
    this.live.add(stream);
    stream.once("close", () => this.live.delete(stream));
    return stream;
  }

  /** Appends bytes to the archive: hash, count, push; resolves when the consumer wants more. */
  private emit(chunk: Buffer): Promise<void> {
    if (this.abort.signal.aborted) return Promise.reject(this.abort.signal.reason);
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.readRequested = false;
    if (this.stream.push(chunk) || this.readRequested) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  private async writeCentralDirectory(written: WrittenEntry[]): Promise<void> {
    const start = this.bytes;
    let batch: Buffer[] = [];
    let batchBytes = 0;
    for (const entry of written) {
      const header = centralHeader(this.style, entry);
      batch.push(header);
      batchBytes += header.length;
      if (batchBytes >= CENTRAL_BATCH) {
        await this.emit(Buffer.concat(batch));
        batch = [];
        batchBytes = 0;
      }
    }
    if (batch.length > 0) await this.emit(Buffer.concat(batch));
    await this.emit(endRecords(written.length, start, this.bytes - start));
  }
}

function ignore(): void {}

function pickEntryData(e: EntryData): EntryData {
  return { crc32: e.crc32, size: e.size, compressedSize: e.compressedSize };
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function checkOptions(opts: ZipOptions): ZipOptions {
  if (!Number.isInteger(opts.level) || opts.level < 0 || opts.level > 9) {
    throw new RangeError(`zip level must be an integer 0..9, got ${opts.level}`);
  }
  if (!(opts.mtime instanceof Date) || Number.isNaN(opts.mtime.getTime())) throw new TypeError("zip mtime must be a valid Date");
  return opts;
}
