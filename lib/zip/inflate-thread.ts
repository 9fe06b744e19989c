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

const INFLATE_WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const zlib = require("node:zlib");
const countCsv = ${CSV_COUNTER_SOURCE};
const sessions = new Map();
function close(sid) {
  const s = sessions.get(sid);
  if (!s) return;
  sessions.delete(sid);
  s.inflater.destroy();
}
function finish(sid, s) {
  const count = s.count ? { newlinesOutside: s.outside, newlines: s.newlines, quotes: s.quotes } : null;
  parentPort.postMessage({ sid, done: { crc32: s.crc, size: s.size, count, lastByte: s.last, trailing: s.trailing } });
  close(sid);
}
parentPort.on("message", (m) => {
  if (m.type === "open") {
    const s = { inflater: zlib.createInflateRaw({ chunkSize: ${INFLATE_CHUNK} }), count: m.count, crc: 0, size: 0, outside: 0, newlines: 0, quotes: 0, last: -1, written: 0, ended: false, endAsked: false, trailing: false };
    sessions.set(m.sid, s);
    s.inflater.on("data", (out) => {
      s.crc = zlib.crc32(out, s.crc);
      s.size += out.length;
      if (m.count) {
        // Chained as one block: after an odd number of quotes the next block starts inside quotes.
        const c = countCsv(out);
        s.outside += s.quotes % 2 === 1 ? c.newlines - c.newlinesOutside : c.newlinesOutside;
        s.newlines += c.newlines;
        s.quotes += c.quotes;
      }
      if (out.length > 0) s.last = out[out.length - 1];
    });
    s.inflater.once("end", () => {
      s.ended = true;
      // Input zlib never consumed lay beyond the end of the deflate stream.
      if (s.written > s.inflater.bytesWritten) s.trailing = true;
      parentPort.postMessage({ sid: m.sid, ended: true });
      if (s.endAsked) finish(m.sid, s);
    });
    s.inflater.once("error", (err) => {
      parentPort.postMessage({ sid: m.sid, error: String((err && err.message) || err) });
      close(m.sid);
    });
    return;
  }
  const s = sessions.get(m.sid);
  if (!s) return; // closed (destroyed, failed or done): nothing is waiting for an answer
  if (m.type === "write") {
    if (s.ended || s.endAsked) {
      s.trailing = true;
      parentPort.postMessage({ sid: m.sid, ack: true, batch: m.piece.buffer }, [m.piece.buffer]);
      return;
    }
    const piece = Buffer.from(m.piece.buffer, m.piece.byteOffset, m.piece.byteLength);
    s.written += piece.length;
    // Once zlib has consumed it, the batch goes back to be filled again (no new memory per batch).
    s.inflater.write(piece, () => parentPort.postMessage({ sid: m.sid, ack: true, batch: m.piece.buffer }, [m.piece.buffer]));
  } else if (m.type === "end") {
    s.endAsked = true;
    if (s.ended) finish(m.sid, s);
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

  open(countCsv: boolean, listener: Listener): { sid: number; post: (message: object, transfer?: ArrayBuffer[]) => void; release: () => void } {
    const index = this.turn++ % this.size;
    const thread = this.thread(index);
    const sid = this.nextSid++;
    thread.listeners.set(sid, listener);
    if (thread.listeners.size === 1) thread.worker.ref();
    thread.worker.postMessage({ type: "open", sid, count: countCsv });
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
  ) {
    this.totals = new Promise<InflateTotals>((resolve, reject) => {
      this.finished = { resolve, reject };
    });
    this.totals.catch(() => undefined);
    shared ??= new InflateThreads(2);
    this.session = shared.open(countCsv, (reply) => this.onReply(reply));
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
