// The inflate pass over a gzip part (true size, CRC-32, CSV records) on a worker thread of its own.
import { Worker } from "node:worker_threads";
import { type CsvBlockCount, CSV_COUNTER_SOURCE } from "./csv-count";
import { INFLATE_CHUNK } from "./gzip";

/*
 * Why a thread: inflating on the main thread makes every output chunk a Buffer of the main
 * isolate, about 1 GB of them per GB of CSV. V8 answers that much external memory with full
 * mark-compact collections of the whole heap (the AWS SDK, the app): in `bench:export --backend
 * aws` at 1M rows (97 MB of CSV from 18 MB of gzip) the main thread ran 6-8 of them per archive,
 * 0.1-0.7 s of pauses plus their marking threads. Here the output never leaves the thread: it is
 * CRC'd and counted where it is inflated, in an isolate whose heap is a few MB, and only the
 * totals come back. The compressed bytes are copied over (they are also the archive's bytes).
 */

/** What the pass found: the inflated size and CRC, the CSV count of all of it (a composite block), and its last byte (-1: none). */
export interface InflateTotals {
  crc32: number;
  size: number;
  count: CsvBlockCount | null;
  lastByte: number;
  /** Bytes arrived after the deflate stream had ended (a second member, or junk). */
  trailing: boolean;
  /** How the thread ran zlib: its handle into a reused buffer (the fast path), or the stream API (the fallback). */
  via: "handle" | "stream";
}

/** Batches not yet inflated before `write` waits: enough to keep the thread busy while the next piece is read. */
const IN_FLIGHT = 4;
/**
 * Pieces are gathered into batches of this size before they go to the thread, whatever size the
 * caller writes (the writers read 1 MiB blocks, cut short at part and copy boundaries; a raw S3
 * body arrives in 16-64 KiB socket reads): each message costs both threads a wake-up, a
 * structured clone and a zlib write. Over 270 MB of CSV (46.5 MB of gzip) written in 64 KiB
 * pieces the pass took 1.11-1.24 CPU s one at a time, 0.70-0.85 s as 1 MiB pieces
 * (scripts/bench-inflate-thread.ts, with the indexOf counter of the time).
 */
const BATCH = 1024 * 1024;

/**
 * zlib's output piece in the thread's fast path: inflated into the wasm counter's own memory,
 * CRC'd and counted there while it is in cache, and overwritten by the next one.
 */
const INFLATE_OUT = 64 * 1024;

/*
 * The thread drives zlib's handle itself (`_handle.writeSync`, what zlib's own sync functions
 * call), inflating into one reused buffer: the stream API allocates a fresh 256 KiB Buffer per
 * output chunk and round-trips each one through libuv's pool. Over 150 MB of product_inventory CSV
 * (16.7 MB of gzip), inflate + CRC took 0.12-0.13 CPU s as a stream, 0.07-0.08 s this way, on
 * Node 20 and 22 alike. The handle is Node's internal API, so a thread that does not find it as
 * expected falls back to the stream (and says so in the totals); either way the CRC and size are
 * checked against the gzip trailer by the caller.
 */
const INFLATE_WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const zlib = require("node:zlib");
const countCsv = ${CSV_COUNTER_SOURCE};
const out = Buffer.from(countCsv.window.buffer, countCsv.window.byteOffset, ${INFLATE_OUT});
const EMPTY = Buffer.alloc(0);
const sessions = new Map();
function close(sid) {
  const s = sessions.get(sid);
  if (!s) return;
  sessions.delete(sid);
  if (s.handle) s.inflater.close();
  else s.inflater.destroy();
}
function finish(sid, s) {
  const count = s.count ? { newlinesOutside: s.outside, newlines: s.newlines, quotes: s.quotes } : null;
  parentPort.postMessage({ sid, done: { crc32: s.crc, size: s.size, count, lastByte: s.last, trailing: s.trailing, via: s.handle ? "handle" : "stream" } });
  close(sid);
}
function fail(sid, err) {
  parentPort.postMessage({ sid, error: String((err && err.message) || err) });
  close(sid);
}
function take(s, bytes) {
  s.crc = zlib.crc32(bytes, s.crc);
  s.size += bytes.length;
  if (s.count) {
    // Chained as one block: after an odd number of quotes the next block starts inside quotes.
    const c = countCsv(bytes);
    s.outside += s.quotes % 2 === 1 ? c.newlines - c.newlinesOutside : c.newlinesOutside;
    s.newlines += c.newlines;
    s.quotes += c.quotes;
  }
  if (bytes.length > 0) s.last = bytes[bytes.length - 1];
}
function ack(m) {
  // Once zlib has consumed it, the batch goes back to be filled again (no new memory per batch).
  parentPort.postMessage({ sid: m.sid, ack: true, batch: m.piece.buffer }, [m.piece.buffer]);
}
/** A zlib handle to drive directly, or null when this Node's zlib is not built as expected. */
function handleOf(inflater) {
  const handle = inflater._handle;
  const state = inflater._writeState;
  if (!handle || typeof handle.writeSync !== "function" || !(state instanceof Uint32Array) || state.length < 2) return null;
  return { handle, state };
}
/** Inflates all of input (flush: zlib's flush flag) into out, piece by piece; false after an error. */
function drive(s, input, flush) {
  const { handle, state } = s.handle;
  let offset = 0;
  let avail = input.length;
  for (;;) {
    handle.writeSync(flush, input, offset, avail, out, 0, out.length);
    if (s.error !== null) return false;
    const got = out.length - state[0];
    if (got > 0) take(s, got === out.length ? out : out.subarray(0, got));
    offset += avail - state[1];
    avail = state[1];
    if (state[0] === 0) continue; // out is full: more output may be waiting
    // Room left in out with input left over: the deflate stream has ended before it.
    if (avail > 0) s.trailing = true;
    return true;
  }
}
function openSession(m) {
  const inflater = zlib.createInflateRaw({ chunkSize: ${INFLATE_CHUNK} });
  const handle = m.stream ? null : handleOf(inflater);
  const s = { inflater, handle, error: null, count: m.count, crc: 0, size: 0, outside: 0, newlines: 0, quotes: 0, last: -1, written: 0, ended: false, endAsked: false, trailing: false };
  sessions.set(m.sid, s);
  if (handle) {
    // zlib reports errors through the handle's onerror, synchronously inside writeSync.
    handle.handle.onerror = (message) => { s.error = String(message); };
    return;
  }
  inflater.on("data", (chunk) => take(s, chunk));
  inflater.once("end", () => {
    s.ended = true;
    // Input zlib never consumed lay beyond the end of the deflate stream.
    if (s.written > inflater.bytesWritten) s.trailing = true;
    parentPort.postMessage({ sid: m.sid, ended: true });
    if (s.endAsked) finish(m.sid, s);
  });
  inflater.once("error", (err) => fail(m.sid, err));
}
parentPort.on("message", (m) => {
  if (m.type === "open") return openSession(m);
  const s = sessions.get(m.sid);
  if (!s) return; // closed (destroyed, failed or done): nothing is waiting for an answer
  if (m.type === "write") {
    const piece = Buffer.from(m.piece.buffer, m.piece.byteOffset, m.piece.byteLength);
    if (s.handle) {
      if (s.trailing) ack(m);
      else if (drive(s, piece, zlib.constants.Z_NO_FLUSH)) ack(m);
      else fail(m.sid, s.error);
      return;
    }
    if (s.ended || s.endAsked) {
      s.trailing = true;
      return ack(m);
    }
    s.written += piece.length;
    s.inflater.write(piece, () => ack(m));
  } else if (m.type === "end") {
    s.endAsked = true;
    // Z_FINISH on a stream that has not ended is zlib's "unexpected end of file".
    if (s.handle) drive(s, EMPTY, zlib.constants.Z_FINISH) ? finish(m.sid, s) : fail(m.sid, s.error);
    else if (s.ended) finish(m.sid, s);
    else s.inflater.end();
  } else if (m.type === "close") {
    close(m.sid);
  }
});
`;

interface Reply {
  sid: number;
  ack?: true;
  /** With an ack: the batch's memory, handed back for reuse. */
  batch?: ArrayBuffer;
  /** The deflate stream has ended: acks for writes still queued may never come. */
  ended?: true;
  done?: InflateTotals;
  error?: string;
}

type Listener = (reply: Reply) => void;

/** A couple of inflate threads shared by every archive of the process; unref'd while idle. */
class InflateThreads {
  private readonly threads: { worker: Worker; listeners: Map<number, Listener> }[] = [];
  private nextSid = 0;
  private turn = 0;

  constructor(private readonly size: number) {}

  open(countCsv: boolean, stream: boolean, listener: Listener): { sid: number; post: (message: object, transfer?: ArrayBuffer[]) => void; release: () => void } {
    const index = this.turn++ % this.size;
    const thread = this.thread(index);
    const sid = this.nextSid++;
    thread.listeners.set(sid, listener);
    if (thread.listeners.size === 1) thread.worker.ref();
    thread.worker.postMessage({ type: "open", sid, count: countCsv, stream });
    return {
      sid,
      post: (message, transfer = []) => thread.worker.postMessage({ ...message, sid }, transfer),
      release: () => {
        if (!thread.listeners.delete(sid)) return;
        if (thread.listeners.size === 0) thread.worker.unref();
      },
    };
  }

  private thread(index: number): { worker: Worker; listeners: Map<number, Listener> } {
    const existing = this.threads[index];
    if (existing) return existing;
    const worker = new Worker(INFLATE_WORKER_SOURCE, { eval: true });
    const thread = { worker, listeners: new Map<number, Listener>() };
    worker.unref();
    worker.on("message", (reply: Reply) => thread.listeners.get(reply.sid)?.(reply));
    const retire = (error: Error) => {
      // A dead thread takes its sessions with it: fail them, and start a fresh thread next time.
      if (this.threads[index] === thread) delete this.threads[index];
      for (const [sid, listener] of thread.listeners) listener({ sid, error: error.message });
      thread.listeners.clear();
    };
    worker.on("error", retire);
    worker.on("exit", (code) => retire(new Error(`inflate thread exited (code ${code})`)));
    this.threads[index] = thread;
    return thread;
  }
}

let shared: InflateThreads | null = null;
/** Batches handed back by the threads, filled again instead of a new 1 MiB buffer per MiB of gzip. */
const freeBatches: Uint8Array<ArrayBuffer>[] = [];
const FREE_BATCHES = 8;

/**
 * One raw deflate stream inflated on an inflate thread: `write` the deflate data in order (it
 * waits while a few pieces are still being inflated), then `end` for the totals. Errors name the
 * entry. `destroy` stops it at any point (pending calls then reject, pre-handled).
 */
export class OffThreadInflate {
  private inFlight = 0;
  private streamEnded = false;
  private wake: (() => void) | null = null;
  private failure: Error | null = null;
  private finished: { resolve: (t: InflateTotals) => void; reject: (e: Error) => void } | null = null;
  private readonly totals: Promise<InflateTotals>;
  private readonly session: ReturnType<InflateThreads["open"]>;
  private closed = false;
  private batch: Uint8Array<ArrayBuffer> | null = null;
  private batched = 0;

  constructor(
    private readonly name: string,
    countCsv: boolean,
    /** Use zlib's stream API, the fallback of threads that find no usable handle (for tests). */
    { stream = false }: { stream?: boolean } = {},
  ) {
    this.totals = new Promise<InflateTotals>((resolve, reject) => {
      this.finished = { resolve, reject };
    });
    this.totals.catch(() => undefined);
    shared ??= new InflateThreads(2);
    this.session = shared.open(countCsv, stream, (reply) => this.onReply(reply));
  }

  private onReply(reply: Reply): void {
    if (reply.ack) {
      if (reply.batch && reply.batch.byteLength === BATCH && freeBatches.length < FREE_BATCHES) freeBatches.push(new Uint8Array(reply.batch));
      this.inFlight = Math.max(0, this.inFlight - 1);
      this.wakeUp();
    } else if (reply.ended) {
      this.streamEnded = true;
      this.inFlight = 0;
      this.wakeUp();
    } else if (reply.done) {
      this.session.release();
      this.finished?.resolve(reply.done);
    } else if (reply.error !== undefined) {
      this.fail(new Error(`${this.name}: the gzip data does not inflate (${reply.error})`));
    }
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.session.release();
    this.finished?.reject(error);
    this.wakeUp();
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** Gathers `piece` (copied: it is also on its way into the archive, and may be a view of a larger buffer); sends full batches. */
  async write(piece: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    for (let at = 0; at < piece.length; ) {
      this.batch ??= freeBatches.pop() ?? new Uint8Array(BATCH);
      const n = Math.min(piece.length - at, BATCH - this.batched);
      this.batch.set(piece.subarray(at, at + n), this.batched);
      this.batched += n;
      at += n;
      if (this.batched === BATCH) await this.send();
    }
  }

  private async send(): Promise<void> {
    const batch = this.batch;
    const length = this.batched;
    this.batch = null;
    this.batched = 0;
    if (!batch || length === 0) return;
    this.session.post({ type: "write", piece: batch.subarray(0, length) }, [batch.buffer]);
    if (this.streamEnded) return; // the thread only notes it as trailing data
    this.inFlight++;
    while (this.inFlight >= IN_FLIGHT && !this.failure) await new Promise<void>((resolve) => (this.wake = resolve));
    if (this.failure) throw this.failure;
  }

  /** Sends the last batch, ends the deflate data and waits for the totals. */
  async end(): Promise<InflateTotals> {
    if (!this.failure && !this.closed) {
      await this.send();
      this.session.post({ type: "end" });
    }
    return this.totals;
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.session.post({ type: "close" });
    this.fail(new Error(`${this.name}: inflate closed before the end of the gzip data`));
  }
}
