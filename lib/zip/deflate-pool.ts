// Block-parallel raw deflate on a few worker threads shared by every archive of the process.
import os from "node:os";
import { Worker } from "node:worker_threads";
import { type CsvBlockCount, CSV_COUNTER_SOURCE } from "./csv-count";

/** Input bytes per deflate job. */
export const DEFLATE_BLOCK = 1024 * 1024;
/** Deflate's window: how far back a match may reach, so how much of the previous block primes the next. */
export const DEFLATE_WINDOW = 32 * 1024;

/**
 * Raw deflate of one block on the shared deflate threads. Every block but the last ends with a
 * sync flush (an empty stored block, byte-aligned and not final), so the blocks' outputs
 * concatenated are one valid deflate stream, as pigz writes it; the last one ends the stream.
 * `dictionary` is the previous block's last 32 KiB, so blocks compress as well as one stream.
 */
export function deflateBlock(block: Buffer, level: number, dictionary: Buffer | null, last: boolean): Promise<Buffer> {
  return deflatePool().run({ block, level, dictionary, last, count: false }).then((r) => r.out!);
}

/** Deflates a block (when `level` is not null) and counts its CSV boundaries, in one trip to a pool thread. */
export function deflateAndCount(block: Buffer, level: number | null, dictionary: Buffer | null, last: boolean): Promise<{ out: Buffer | null; count: CsvBlockCount }> {
  return deflatePool()
    .run({ block, level, dictionary, last, count: true })
    .then((r) => ({ out: r.out, count: r.count! }));
}

/** The last `size` bytes of `previous` followed by `block` (a view when `block` alone is long enough). */
export function tailOf(previous: Buffer | null, block: Buffer, size: number): Buffer {
  if (block.length >= size || !previous) return block.subarray(Math.max(0, block.length - size));
  const joined = Buffer.concat([previous, block]);
  return joined.subarray(Math.max(0, joined.length - size));
}

/**
 * Deflate runs on worker threads of its own rather than on libuv's pool: with 64 KiB reads, pool
 * threads busy deflating made every file read wait its turn, and the archive crawled at one
 * core's speed. Plain JavaScript in a string (`eval: true`), as bundlers cannot transform it.
 */
const DEFLATE_WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const zlib = require("node:zlib");
const countCsv = ${CSV_COUNTER_SOURCE};
parentPort.on("message", ({ id, block, level, dictionary, last, count }) => {
  try {
    const view = Buffer.from(block.buffer, block.byteOffset, block.byteLength);
    const counted = count ? countCsv(view) : undefined;
    let copy = null;
    if (level !== null) {
      const out = zlib.deflateRawSync(view, {
        level,
        finishFlush: last ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH,
        ...(dictionary ? { dictionary } : {}),
      });
      copy = new Uint8Array(out.length);
      copy.set(out);
    }
    parentPort.postMessage({ id, out: copy, count: counted }, copy ? [copy.buffer] : []);
  } catch (err) {
    parentPort.postMessage({ id, error: String((err && err.message) || err) });
  }
});
`;

interface PoolRequest {
  block: Buffer;
  /** Deflate level, or null to only count. */
  level: number | null;
  dictionary: Buffer | null;
  last: boolean;
  count: boolean;
}

interface PoolReply {
  out: Buffer | null;
  count?: CsvBlockCount;
}

interface DeflateJob {
  resolve: (reply: PoolReply) => void;
  reject: (error: Error) => void;
}

/** A few deflate threads; unref'd while idle, so they never keep the process alive. */
class DeflatePool {
  private readonly workers: { worker: Worker; jobs: Map<number, DeflateJob> }[] = [];
  private nextId = 0;
  private turn = 0;

  constructor(private readonly size: number) {}

  run({ block, level, dictionary, last, count }: PoolRequest): Promise<PoolReply> {
    const slot = this.slot(this.turn++ % this.size);
    const id = this.nextId++;
    // Sent as fresh copies: structured clone copies a view's whole backing buffer, and a transfer
    // would detach memory the caller (or Buffer's shared pool) still uses.
    const owned = new Uint8Array(block.length);
    owned.set(block);
    const dict = dictionary ? new Uint8Array(dictionary) : null;
    return new Promise<PoolReply>((resolve, reject) => {
      slot.jobs.set(id, { resolve, reject });
      if (slot.jobs.size === 1) slot.worker.ref();
      slot.worker.postMessage({ id, block: owned, level, dictionary: dict, last, count }, [owned.buffer]);
    });
  }

  private slot(index: number): { worker: Worker; jobs: Map<number, DeflateJob> } {
    const existing = this.workers[index];
    if (existing) return existing;
    const worker = new Worker(DEFLATE_WORKER_SOURCE, { eval: true });
    const slot = { worker, jobs: new Map<number, DeflateJob>() };
    worker.unref();
    worker.on("message", (m: { id: number; out?: Uint8Array | null; count?: CsvBlockCount; error?: string }) => {
      const job = slot.jobs.get(m.id);
      if (!job) return;
      slot.jobs.delete(m.id);
      if (slot.jobs.size === 0) worker.unref();
      if (m.error !== undefined) job.reject(new Error(`deflate failed: ${m.error}`));
      else job.resolve({ out: m.out ? Buffer.from(m.out.buffer, m.out.byteOffset, m.out.byteLength) : null, count: m.count });
    });
    const retire = (error: Error) => {
      // A dead thread takes its jobs with it: fail them, and start a fresh thread next time.
      if (this.workers[index] === slot) delete this.workers[index];
      for (const job of slot.jobs.values()) job.reject(error);
      slot.jobs.clear();
    };
    worker.on("error", retire);
    worker.on("exit", (code) => retire(new Error(`deflate thread exited (code ${code})`)));
    this.workers[index] = slot;
    return slot;
  }
}

let sharedDeflatePool: DeflatePool | null = null;

function deflatePool(): DeflatePool {
  sharedDeflatePool ??= new DeflatePool(Math.max(1, Math.min(4, os.availableParallelism())));
  return sharedDeflatePool;
}
