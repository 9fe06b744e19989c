/**
 * The local twin of Redshift's `UNLOAD ... MANIFEST VERBOSE`: DuckDB runs
 * `COPY (<query>) TO <folder>` in the background and writes the part files
 * itself (rows never pass through JavaScript), then a manifest in Redshift's
 * shape. Statement state lives in small files next to the parts, so any
 * process (the web app cancelling, a worker polling) can describe or cancel a
 * statement that another process runs.
 *
 * Layout of a statement's folder, `<unloadRoot>/<keyPrefix>`:
 *
 *     part_0.csv, part_1.csv ...     the parts (moved in only once complete)
 *     manifest                       Redshift MANIFEST VERBOSE JSON
 *     .statement-<token>.json        status: running | finished | failed | aborted
 *     .statement-<token>.cancel      cancel marker, written by cancel() in any process
 *     .staging-<token>/              where COPY writes, before the parts are moved in
 */
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { DuckDBInstance, StatementType, type DuckDBConnection } from "@duckdb/node-api";
import { z } from "zod";
import { quoteLiteral } from "@/lib/datasets/sql";
import { BackendError } from "@/lib/core/errors";
import type { ManifestEntry, StatementState, UnloadFormat, UnloadManifest, UnloadRequest, Warehouse } from "@/lib/ports";

export interface DuckDbWarehouseOptions {
  /** The DuckDB file, opened READ_ONLY: the seed owns writes, and many readers may share it. */
  dbPath: string;
  /** Absolute folder the unload object store (a DiskObjectStore with this root) reads parts from. */
  unloadRoot: string;
  /** DuckDB `memory_limit`, e.g. "1GB". DuckDB spills to disk beyond it. */
  memoryLimit?: string;
  /** DuckDB worker threads. */
  threads?: number;
  /** Size at which DuckDB starts a new part file (Redshift's MAXFILESIZE). Default 256. */
  maxFileSizeMb?: number;
  /** How often the process running a statement looks for a cancel marker. Default 200 ms. */
  cancelPollMs?: number;
}

const STATEMENT_ID = /^duckdb\.([A-Za-z0-9_-]{1,700})\.([0-9a-f]{24})$/;
/** Plain relative folders ending in "/": no "."/".." segments, nothing hidden (control files start with "."). */
const KEY_PREFIX = /^(?:[A-Za-z0-9_][A-Za-z0-9._-]{0,127}\/){1,16}$/;
const MAX_KEY_PREFIX = 512;
/** DuckDB's error classes that no retry can fix: the query itself is wrong for this warehouse. */
const PERMANENT_ERROR =
  /^(Parser|Binder|Catalog|Conversion|Invalid Input|Not implemented|Permission|Syntax|Out of Range|Constraint|Mismatch Type|Dependency|Invalid Type|Parameter Not (Allowed|Resolved)) Error/i;
/** How long a foreign host's "running" statement may go without a heartbeat before it counts as lost. */
const FOREIGN_HEARTBEAT_MS = 60_000;
const HEARTBEAT_EVERY_MS = 5_000;
/** Upper bound for cancel() to wait for the statement to stop. */
const CANCEL_WAIT_MS = 15_000;

const ZEntry = z.object({ key: z.string(), rows: z.number().int().nonnegative(), bytes: z.number().int().nonnegative() });
const ZStatus = z.discriminatedUnion("state", [
  z.object({
    state: z.literal("running"),
    statementId: z.string(),
    pid: z.number().int(),
    /** Start time of the process (Linux /proc starttime), to tell a reused pid from the original. */
    procStart: z.string().nullable(),
    host: z.string(),
    startedAt: z.string(),
  }),
  z.object({
    state: z.literal("finished"),
    statementId: z.string(),
    finishedAt: z.string(),
    // Kept in the status as well as in `manifest`: a later statement under the same prefix
    // rewrites `manifest`, but this statement's result stays what it was.
    manifest: z.object({ entries: z.array(ZEntry), rows: z.number().int().nonnegative(), bytes: z.number().int().nonnegative() }),
  }),
  z.object({ state: z.literal("failed"), statementId: z.string(), finishedAt: z.string(), message: z.string(), retryable: z.boolean() }),
  z.object({ state: z.literal("aborted"), statementId: z.string(), finishedAt: z.string() }),
]);
type StatusFile = z.infer<typeof ZStatus>;

interface StatementRef {
  statementId: string;
  keyPrefix: string;
  token: string;
  folder: string;
  statusPath: string;
  cancelPath: string;
  stagingDir: string;
}

type StopReason = "cancelled" | "abandoned" | "closing";

/** A statement running in this process. */
interface Run {
  ref: StatementRef;
  connection: DuckDBConnection | null;
  stop: StopReason | null;
  done: Promise<void>;
}

/** The end of a run, before it is written down. */
type Outcome =
  | { state: "finished"; manifest: UnloadManifest }
  | { state: "failed"; message: string; retryable: boolean }
  /** Interrupted on request; `reason` says whose. */
  | { state: "stopped"; reason: StopReason };

class Stopped extends Error {
  constructor() {
    super("statement stopped");
  }
}

/** Runs UNLOAD-style exports on a local DuckDB file. See the file comment for the on-disk layout. */
export class DuckDbWarehouse implements Warehouse {
  private readonly dbPath: string;
  private readonly unloadRoot: string;
  private readonly memoryLimit: string | undefined;
  private readonly threads: number | undefined;
  private readonly fileSizeBytes: number;
  private readonly cancelPollMs: number;
  private readonly runs = new Map<string, Run>();
  private readonly submitting = new Set<Promise<unknown>>();
  /** Statements whose outcome could not be written (disk full...): reported lost rather than running forever. */
  private readonly unrecorded = new Map<string, string>();
  private db: { instance: DuckDBInstance; ino: number; dev: number } | null = null;
  private opening: Promise<DuckDBInstance> | null = null;
  private closed = false;

  constructor(opts: DuckDbWarehouseOptions) {
    if (!path.isAbsolute(opts.unloadRoot)) throw new Error(`DuckDbWarehouse unloadRoot must be absolute: ${opts.unloadRoot}`);
    const maxFileSizeMb = opts.maxFileSizeMb ?? 256;
    if (!(maxFileSizeMb > 0)) throw new RangeError(`maxFileSizeMb must be positive, got ${maxFileSizeMb}`);
    if (opts.threads !== undefined && !(Number.isInteger(opts.threads) && opts.threads > 0)) throw new RangeError(`threads must be a positive integer`);
    this.dbPath = path.resolve(opts.dbPath);
    this.unloadRoot = path.resolve(opts.unloadRoot);
    this.memoryLimit = opts.memoryLimit;
    this.threads = opts.threads;
    this.fileSizeBytes = Math.max(1, Math.round(maxFileSizeMb * 1024 * 1024));
    this.cancelPollMs = opts.cancelPollMs ?? 200;
  }

  async submitUnload(req: UnloadRequest): Promise<{ statementId: string }> {
    if (this.closed) throw new BackendError("warehouse_closed", "The local warehouse is shutting down.", true);
    // close() waits for submits in flight, so a run registered after it started is still stopped and recorded.
    const submitting = this.submit(req);
    this.submitting.add(submitting);
    try {
      return await submitting;
    } finally {
      this.submitting.delete(submitting);
    }
  }

  private async submit(req: UnloadRequest): Promise<{ statementId: string }> {
    if (req.format !== "csv" && req.format !== "parquet") {
      throw new BackendError("invalid_unload", `Unknown unload format ${JSON.stringify(req.format)}.`, false);
    }
    if (typeof req.keyPrefix !== "string" || req.keyPrefix.length > MAX_KEY_PREFIX || !KEY_PREFIX.test(req.keyPrefix)) {
      throw new BackendError("invalid_unload", `Unload key prefix ${JSON.stringify(req.keyPrefix)} is not a plain folder path ending in "/".`, false);
    }
    if (typeof req.sql !== "string" || req.sql.trim() === "") throw new BackendError("invalid_unload", "The unload query is empty.", false);

    const instance = await this.instance();
    const token = randomBytes(12).toString("hex");
    const ref = this.refOf(`duckdb.${Buffer.from(req.keyPrefix).toString("base64url")}.${token}`)!;
    await mkdir(ref.folder, { recursive: true });
    await writeJsonAtomic(ref.statusPath, {
      state: "running",
      statementId: ref.statementId,
      pid: process.pid,
      procStart: await ownStart,
      host: os.hostname(),
      startedAt: new Date().toISOString(),
    } satisfies StatusFile);

    const run: Run = { ref, connection: null, stop: null, done: Promise.resolve() };
    this.runs.set(token, run);
    // Not awaited: the statement runs on DuckDB's threads while callers poll describe().
    run.done = this.execute(run, instance, req.sql, req.format).finally(() => this.runs.delete(token));
    return { statementId: ref.statementId };
  }

  async describe(statementId: string): Promise<StatementState> {
    const ref = this.refOf(statementId);
    if (!ref) return lost("unknown statement id");
    const status = await readStatus(ref.statusPath);
    if (!status || status.statementId !== statementId) return lost("no such statement (its folder may have been deleted)");
    switch (status.state) {
      case "running": {
        if (this.runs.has(ref.token)) return { state: "running" };
        const unrecorded = this.unrecorded.get(ref.token);
        if (unrecorded !== undefined) return lost(`its outcome could not be recorded: ${unrecorded}`);
        if (await isOwnerAlive(status, ref.statusPath)) return { state: "running" };
        // Cancelled, and its process died before it wrote "aborted": the cancel is what counts.
        if (await exists(ref.cancelPath)) return { state: "aborted" };
        return lost(`the process that ran it (pid ${status.pid} on ${status.host}) is gone`);
      }
      case "finished":
        return { state: "finished", manifest: status.manifest };
      case "failed":
        return { state: "failed", message: status.message, retryable: status.retryable };
      case "aborted":
        return { state: "aborted" };
    }
  }

  /**
   * Stops a running statement from any process: this process interrupts its
   * own connection at once; another process's poller sees the cancel marker
   * within `cancelPollMs`. Waits (boundedly) until the statement has stopped,
   * so a caller that deletes the statement's folder next does not race its last
   * writes. Unknown and finished statements are left alone.
   */
  async cancel(statementId: string): Promise<void> {
    const ref = this.refOf(statementId);
    if (!ref) return;
    this.stopRun(ref.token, "cancelled");
    const status = await readStatus(ref.statusPath);
    if (!status || status.state !== "running") return;
    try {
      await writeFile(ref.cancelPath, `${new Date().toISOString()} pid ${process.pid}\n`);
    } catch (err) {
      if (errCode(err) === "ENOENT") return; // folder deleted: nothing left to stop
      throw err;
    }
    const deadline = Date.now() + CANCEL_WAIT_MS;
    while (Date.now() < deadline) {
      if ((await this.describe(statementId)).state !== "running") return;
      await sleep(Math.min(50, this.cancelPollMs));
    }
  }

  /** DuckDB's clock (the host's, as DuckDB runs in this process), read through DuckDB so the port means the same on both backends. */
  async currentTime(): Promise<Date> {
    const con = await (await this.instance()).connect();
    try {
      const reader = await con.runAndReadAll("SELECT epoch_ms(get_current_timestamp())::BIGINT AS ms");
      return new Date(Number(reader.getRows()[0]![0]));
    } finally {
      con.closeSync();
    }
  }

  /** Ids of the statements this instance is running now (for health checks and tests). */
  runningHere(): string[] {
    return [...this.runs.values()].map((r) => r.ref.statementId);
  }

  /** Interrupts statements still running here (they end as retryable failures) and closes DuckDB. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.submitting]);
    for (const token of this.runs.keys()) this.stopRun(token, "closing");
    await Promise.allSettled([...this.runs.values()].map((r) => r.done));
    await this.opening?.catch(() => undefined);
    this.db?.instance.closeSync();
    this.db = null;
    this.opening = null;
  }

  /* ------------------------------------------------------------- internals */

  /** Parses and checks a statement id; null when it is not one of ours. */
  private refOf(statementId: string): StatementRef | null {
    if (typeof statementId !== "string") return null;
    const m = STATEMENT_ID.exec(statementId);
    if (!m) return null;
    const keyPrefix = Buffer.from(m[1], "base64url").toString("utf8");
    // Re-encoding must give the same text: rejects padding tricks and non-canonical encodings.
    if (Buffer.from(keyPrefix).toString("base64url") !== m[1] || keyPrefix.length > MAX_KEY_PREFIX || !KEY_PREFIX.test(keyPrefix)) return null;
    const token = m[2];
    const folder = path.resolve(this.unloadRoot, keyPrefix);
    if (!folder.startsWith(this.unloadRoot + path.sep)) return null;
    return {
      statementId,
      keyPrefix,
      token,
      folder,
      statusPath: path.join(folder, `.statement-${token}.json`),
      cancelPath: path.join(folder, `.statement-${token}.cancel`),
      stagingDir: path.join(folder, `.staging-${token}`),
    };
  }

  private stopRun(token: string, reason: StopReason): void {
    const run = this.runs.get(token);
    if (!run) return;
    run.stop ??= reason;
    run.connection?.interrupt();
  }

  /**
   * The DuckDB instance, opened on first use. If the seed has replaced the
   * file since (a new inode), it is reopened once nothing runs on the old one.
   */
  private async instance(): Promise<DuckDBInstance> {
    let info;
    try {
      info = await stat(this.dbPath);
    } catch (err) {
      if (errCode(err) === "ENOENT") {
        throw new BackendError("warehouse_unavailable", `No warehouse file at ${this.dbPath}; run \`npm run seed\`.`, true, { cause: err });
      }
      throw err;
    }
    if (this.db && (this.db.ino !== info.ino || this.db.dev !== info.dev) && this.runs.size === 0) {
      this.db.instance.closeSync();
      this.db = null;
      this.opening = null;
    }
    if (this.db) return this.db.instance;
    this.opening ??= this.open(info.ino, info.dev).catch((err: unknown) => {
      this.opening = null;
      const message = err instanceof Error ? err.message : String(err);
      throw new BackendError("warehouse_unavailable", `Could not open the warehouse: ${message}`, true, { cause: err });
    });
    return this.opening;
  }

  private async open(ino: number, dev: number): Promise<DuckDBInstance> {
    const config: Record<string, string> = { access_mode: "READ_ONLY" };
    if (this.memoryLimit) config.memory_limit = this.memoryLimit;
    if (this.threads) config.threads = String(this.threads);
    await mkdir(this.unloadRoot, { recursive: true });
    const instance = await DuckDBInstance.create(this.dbPath, config);
    try {
      const con = await instance.connect();
      try {
        // Defence in depth: queries may read the warehouse and write under unloadRoot, nothing
        // else (no read_csv('/etc/passwd'), no ATTACH, no extension downloads), and cannot undo it.
        await con.run(`SET allowed_directories = [${quoteLiteral(this.unloadRoot + path.sep)}]`);
        await con.run("SET enable_external_access = false");
        await con.run("SET autoinstall_known_extensions = false");
        await con.run("SET lock_configuration = true");
      } finally {
        con.closeSync();
      }
    } catch (err) {
      instance.closeSync();
      throw err;
    }
    this.db = { instance, ino, dev };
    return instance;
  }

  /** Runs one statement to its end and writes down the outcome. Never throws. */
  private async execute(run: Run, instance: DuckDBInstance, sql: string, format: UnloadFormat): Promise<void> {
    const { ref } = run;
    let poller: NodeJS.Timeout | undefined;
    let outcome: Outcome;
    try {
      const con = await instance.connect();
      run.connection = con;
      poller = this.watch(run);
      try {
        outcome = await this.unload(run, con, sql, format);
      } finally {
        run.connection = null;
        con.closeSync();
      }
    } catch (err) {
      outcome = run.stop ? { state: "stopped", reason: run.stop } : failureOf(err);
    } finally {
      clearInterval(poller);
    }
    await this.record(run, outcome).catch((err: unknown) => {
      this.unrecorded.set(ref.token, err instanceof Error ? err.message : String(err));
    });
  }

  /**
   * Watches for the cancel marker and for the folder being deleted (the export was
   * cleaned up under us), and keeps the status file's heartbeat fresh. Once a stop is
   * requested it interrupts on every tick: DuckDB forgets an interrupt that arrives
   * between two queries of the run.
   */
  private watch(run: Run): NodeJS.Timeout {
    let busy = false;
    let lastBeat = Date.now();
    return setInterval(() => {
      if (busy) return;
      busy = true;
      void (async () => {
        if (!run.stop) {
          if (await exists(run.ref.cancelPath)) run.stop = "cancelled";
          else if (!(await exists(run.ref.statusPath))) run.stop = "abandoned";
          else if (Date.now() - lastBeat >= HEARTBEAT_EVERY_MS) {
            lastBeat = Date.now();
            const now = new Date();
            await utimes(run.ref.statusPath, now, now).catch(() => undefined);
          }
        }
        if (run.stop) run.connection?.interrupt();
      })().finally(() => {
        busy = false;
      });
    }, this.cancelPollMs);
  }

  /** The statement itself: check, COPY into staging, count, move parts into place. */
  private async unload(run: Run, con: DuckDBConnection, sql: string, format: UnloadFormat): Promise<Outcome> {
    const { ref } = run;
    const checkStop = () => {
      if (run.stop) throw new Stopped();
    };

    const extracted = await con.extractStatements(sql);
    if (extracted.count !== 1) {
      return { state: "failed", message: `Expected exactly one SELECT statement, got ${extracted.count}.`, retryable: false };
    }
    const prepared = await extracted.prepare(0);
    let columns: { name: string; type: string }[];
    try {
      if (prepared.statementType !== StatementType.SELECT) {
        return { state: "failed", message: "Only a SELECT statement can be unloaded.", retryable: false };
      }
      if (prepared.parameterCount > 0) {
        return { state: "failed", message: "The query has bind parameters; UNLOAD takes none (render values with quoteLiteral).", retryable: false };
      }
      columns = Array.from({ length: prepared.columnCount }, (_, i) => ({
        name: prepared.columnName(i),
        type: prepared.columnType(i).toString().toLowerCase(),
      }));
    } finally {
      prepared.destroySync();
    }
    checkStop();

    await rm(ref.stagingDir, { recursive: true, force: true });
    await mkdir(ref.stagingDir);
    // The query on its own lines: a trailing "-- comment" must not swallow the closing parenthesis.
    // A final ";" is dropped; one followed by a comment is left to DuckDB's parser to refuse.
    const body = sql.replace(/;\s*$/, "");
    const options =
      format === "csv"
        ? `FORMAT csv, HEADER true, FILE_SIZE_BYTES ${this.fileSizeBytes}, FILENAME_PATTERN 'part_{i}', RETURN_FILES true`
        : `FORMAT parquet, FILE_SIZE_BYTES ${this.fileSizeBytes}, FILENAME_PATTERN 'part_{i}', RETURN_STATS true`;
    // CSV parts are counted while COPY writes the next ones, so only the last waits for COPY to end.
    const counter = format === "csv" ? new PartCounter(ref.stagingDir) : null;
    let result;
    try {
      result = await con.runAndReadAll(`COPY (\n${body}\n) TO ${quoteLiteral(ref.stagingDir)} (${options})`);
    } finally {
      await counter?.stop();
    }
    checkStop();

    const written = await partsOf(format, result.getRowsJS() as unknown[][], this.threads ?? os.availableParallelism(), counter?.counts);
    checkStop();

    // Parts keep their names when moved in; a rename is atomic, so a reader never sees half a part.
    const entries: (ManifestEntry & { file: string })[] = [];
    for (const part of written) {
      const file = path.join(ref.folder, path.basename(part.file));
      await rename(part.file, file);
      const { size } = await stat(file);
      entries.push({ key: `${ref.keyPrefix}${path.basename(file)}`, rows: part.rows, bytes: size, file });
    }
    await rm(ref.stagingDir, { recursive: true, force: true });
    const manifest: UnloadManifest = {
      entries: entries.map(({ key, rows, bytes }) => ({ key, rows, bytes })),
      rows: entries.reduce((n, e) => n + e.rows, 0),
      bytes: entries.reduce((n, e) => n + e.bytes, 0),
    };
    await writeJsonAtomic(path.join(ref.folder, "manifest"), redshiftManifest(entries, columns, manifest));
    return { state: "finished", manifest };
  }

  /**
   * Writes the outcome to the status file, unless the statement's folder was
   * deleted meanwhile (its export was cleaned up): then it leaves nothing behind.
   */
  private async record(run: Run, outcome: Outcome): Promise<void> {
    const { ref } = run;
    const finishedAt = new Date().toISOString();
    const stop = outcome.state === "stopped" ? outcome.reason : run.stop;
    // A cancel that lands after COPY finished still wins: the caller no longer wants the result.
    const cancelled = stop === "cancelled" || (await exists(ref.cancelPath));
    const abandoned = stop === "abandoned" || !(await exists(ref.statusPath));
    await rm(ref.stagingDir, { recursive: true, force: true });
    if (outcome.state === "finished" && (cancelled || abandoned)) {
      // The parts were already moved in: nobody will read them.
      for (const e of outcome.manifest.entries) await rm(path.join(this.unloadRoot, e.key), { force: true });
      await rm(path.join(ref.folder, "manifest"), { force: true });
    }
    if (abandoned) return;

    const base = { statementId: ref.statementId, finishedAt };
    let status: StatusFile;
    if (cancelled) status = { state: "aborted", ...base };
    // A result completed just before close() is still a result.
    else if (outcome.state === "finished") status = { state: "finished", ...base, manifest: outcome.manifest };
    else if (outcome.state === "failed") status = { state: "failed", ...base, message: outcome.message, retryable: outcome.retryable };
    else status = { state: "failed", ...base, message: "statement lost: the warehouse was closed while it ran", retryable: true };
    await writeJsonAtomic(ref.statusPath, status);
  }
}

/* ----------------------------------------------------------------- helpers */

function lost(reason: string): StatementState {
  return { state: "failed", message: `statement lost: ${reason}`, retryable: true };
}

/** DuckDB's own message (without the "LINE n: ..." excerpt of our generated SQL) and whether a retry can help. */
function failureOf(err: unknown): Outcome {
  // extractStatements() prefixes parser errors with its own words; PERMANENT_ERROR expects DuckDB's class first.
  const raw = (err instanceof Error ? err.message : String(err)).replace(/^Failed to extract statements: /, "");
  const message = raw.split(/\n+LINE \d+:/)[0].trim() || raw;
  return { state: "failed", message, retryable: !PERMANENT_ERROR.test(message) };
}

/** The parts COPY wrote, with their row counts, in part order. */
async function partsOf(
  format: UnloadFormat,
  rows: unknown[][],
  parallelism: number,
  counted: ReadonlyMap<string, { size: number; rows: number }> = new Map(),
): Promise<{ file: string; rows: number }[]> {
  let parts: { file: string; rows: number }[];
  if (format === "parquet") {
    // RETURN_STATS: one row per file (filename, count, file_size_bytes, ...).
    parts = rows.map((r) => ({ file: String(r[0]), rows: Number(r[1]) }));
  } else {
    // RETURN_FILES: one row (count, [files]). CSV has no RETURN_STATS, so per-file counts
    // come from scanning the bytes DuckDB wrote; a single part needs no scan.
    const [count, files] = rows[0] as [bigint | number, string[]];
    const total = Number(count);
    if (files.length === 1) parts = [{ file: files[0], rows: total }];
    else {
      // Counts taken during COPY stand if the part has not grown since; the others are counted now.
      const counts = new Array<number>(files.length);
      const missing: number[] = [];
      for (const [i, file] of files.entries()) {
        const early = counted.get(path.basename(file));
        if (early && (await stat(file)).size === early.size) counts[i] = early.rows;
        else missing.push(i);
      }
      const late = await countCsvRecords(
        missing.map((i) => files[i]),
        parallelism,
      );
      missing.forEach((i, k) => (counts[i] = late[k]));
      const sum = counts.reduce((a, b) => a + b, 0);
      if (sum !== total) throw new Error(`Internal Error: part row counts add up to ${sum}, COPY wrote ${total}`);
      parts = files.map((file, i) => ({ file, rows: counts[i] }));
    }
  }
  return parts.sort((a, b) => partIndex(a.file) - partIndex(b.file));
}

/**
 * Counts CSV parts while COPY is still running, on one thread: a part counts as complete once
 * a part with a higher number exists (DuckDB closes a part before it starts the next). That is
 * an observation, not a promise of DuckDB's, so `partsOf` keeps a count only if the part's size
 * did not change after it was taken, and the sum is checked against COPY's own total.
 */
class PartCounter {
  /** Counts by part file name, with the size each was counted at. */
  readonly counts = new Map<string, { size: number; rows: number }>();
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(
    private readonly dir: string,
    private readonly everyMs = 50,
  ) {
    this.loop = this.run().catch(() => undefined); // a failed early count only means a later one
  }

  /** Stops looking for parts; resolves once a count in progress has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    let worker: Worker | null = null;
    try {
      while (!this.stopped) {
        const names = (await readdir(this.dir).catch(() => [] as string[])).filter((n) => /^part_\d+\.csv$/.test(n));
        const last = Math.max(-1, ...names.map(partIndex));
        for (const name of names.sort((a, b) => partIndex(a) - partIndex(b))) {
          if (this.stopped || partIndex(name) >= last) break;
          if (this.counts.has(name)) continue;
          const file = path.join(this.dir, name);
          const { size } = await stat(file);
          worker ??= new Worker(CSV_COUNTER_SOURCE, { eval: true });
          this.counts.set(name, { size, rows: await countOn(worker, file) });
        }
        if (!this.stopped) await sleep(this.everyMs);
      }
    } finally {
      await worker?.terminate();
    }
  }
}

function partIndex(file: string): number {
  const m = /part_(\d+)\.[a-z]+$/.exec(file);
  return m ? Number(m[1]) : Number.MAX_SAFE_INTEGER;
}

/**
 * Counts the records of one CSV part as DuckDB writes it (`"` quotes, doubled
 * to escape; every field holding a quote or newline is quoted), minus the
 * header: the newlines outside quotes. It jumps from quote to newline with
 * Buffer.indexOf (memchr), about 1 GB/s per core, so rows are never handled
 * one by one in JavaScript. Plain JavaScript in a string because it runs in
 * worker threads (`eval: true`), where bundler-transformed functions would not.
 */
const CSV_COUNTER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const fs = require("node:fs");
function countRecords(file) {
  const fd = fs.openSync(file, "r");
  const buf = Buffer.allocUnsafe(1 << 20);
  let inQuotes = false, newlines = 0, last = -1;
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      const view = n === buf.length ? buf : buf.subarray(0, n);
      let i = 0;
      let quote = view.indexOf(0x22);
      for (;;) {
        if (inQuotes) {
          if (quote === -1) break;
          inQuotes = false;
          i = quote + 1;
          quote = view.indexOf(0x22, i);
        } else {
          const nl = view.indexOf(0x0a, i);
          if (nl !== -1 && (quote === -1 || nl < quote)) { newlines++; i = nl + 1; }
          else if (quote !== -1) { inQuotes = true; i = quote + 1; quote = view.indexOf(0x22, i); }
          else break;
        }
      }
      last = view[n - 1];
    }
  } finally {
    fs.closeSync(fd);
  }
  const records = newlines + (last !== -1 && last !== 0x0a ? 1 : 0);
  return Math.max(0, records - 1);
}
parentPort.on("message", (file) => {
  try { parentPort.postMessage({ file, records: countRecords(file) }); }
  catch (err) { parentPort.postMessage({ file, error: String(err && err.message || err) }); }
});
`;

/**
 * Record counts of CSV parts (header excluded), counted on up to `parallelism`
 * worker threads: DuckDB's threads are idle by then, and one core alone would
 * add about a second per GB to every large export.
 */
export async function countCsvRecords(files: readonly string[], parallelism = os.availableParallelism()): Promise<number[]> {
  const counts = new Array<number>(files.length);
  let next = 0;
  const lanes = Math.max(1, Math.min(parallelism, files.length));
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      const worker = new Worker(CSV_COUNTER_SOURCE, { eval: true });
      try {
        while (next < files.length) {
          const i = next++;
          counts[i] = await countOn(worker, files[i]);
        }
      } finally {
        await worker.terminate();
      }
    }),
  );
  return counts;
}

function countOn(worker: Worker, file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: { records?: number; error?: string }) => {
      worker.off("error", onError);
      if (m.error !== undefined) reject(new Error(`IO Error: could not count rows of ${file}: ${m.error}`));
      else resolve(m.records!);
    };
    const onError = (err: Error) => {
      worker.off("message", onMessage);
      reject(err);
    };
    worker.once("message", onMessage);
    worker.once("error", onError);
    worker.postMessage(file);
  });
}

/** Redshift's `UNLOAD ... MANIFEST VERBOSE` document. */
function redshiftManifest(entries: (ManifestEntry & { file: string })[], columns: { name: string; type: string }[], total: UnloadManifest) {
  return {
    entries: entries.map((e) => ({ url: pathToFileURL(e.file).href, meta: { content_length: e.bytes, record_count: e.rows } })),
    schema: { elements: columns.map((c) => ({ name: c.name, type: { base: c.type } })) },
    meta: { content_length: total.bytes, record_count: total.rows },
    author: { name: "DuckDbWarehouse", version: "1.0.0" },
  };
}

async function readStatus(file: string): Promise<StatusFile | null> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if (errCode(err) === "ENOENT" || errCode(err) === "ENOTDIR") return null;
    throw err;
  }
  try {
    const parsed = ZStatus.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null; // not JSON: not a status we wrote (writes are atomic)
  }
}

/** Writes JSON via a temp file and rename: readers in other processes see the old or the new file, never half of one. */
async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const tmp = path.join(path.dirname(file), `.tmp-${randomBytes(6).toString("hex")}`);
  try {
    await writeFile(tmp, JSON.stringify(value, null, 2) + "\n", { flag: "wx" });
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Whether the process that wrote a "running" status still runs it. On this
 * host: its pid exists and started when the status says (a reused pid does
 * not count). On another host (a shared folder) pids mean nothing: the
 * heartbeat the runner refreshes every few seconds decides.
 */
async function isOwnerAlive(status: Extract<StatusFile, { state: "running" }>, statusPath: string): Promise<boolean> {
  if (status.host !== os.hostname()) {
    const info = await stat(statusPath).catch(() => null);
    return info !== null && Date.now() - info.mtimeMs < FOREIGN_HEARTBEAT_MS;
  }
  try {
    process.kill(status.pid, 0);
  } catch (err) {
    if (errCode(err) !== "EPERM") return false; // ESRCH: no such process (EPERM: exists, owned by another user)
  }
  if (status.procStart === null) return true;
  return (await processStartOf(status.pid)) === status.procStart;
}

/** Linux: the process's start time in clock ticks since boot (/proc/<pid>/stat field 22); null elsewhere. */
async function processStartOf(pid: number): Promise<string | null> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces and parentheses: count fields after the last ")".
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

/** This process's start time, read once. */
const ownStart = processStartOf(process.pid);

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

function errCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
