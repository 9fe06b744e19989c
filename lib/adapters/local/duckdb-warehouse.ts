/**
 * The local twin of Redshift's `UNLOAD ... MANIFEST VERBOSE`: DuckDB runs
 * `COPY (<query>) TO <folder>` in the background and writes the part files
 * itself (rows never pass through JavaScript), then a manifest in Redshift's
 * shape. Statement state lives in small files next to the parts
 * (./duckdb-statements.ts), so any process (the web app cancelling, a worker
 * polling) can describe or cancel a statement that another process runs.
 *
 * Layout of a statement's folder, `<unloadRoot>/<keyPrefix>`:
 *
 *     part_0.csv, part_1.csv ...     the parts (moved in only once complete)
 *     manifest                       Redshift MANIFEST VERBOSE JSON
 *     .statement-<token>.json        status (see duckdb-statements.ts)
 *     .statement-<token>.cancel      cancel marker
 *     .staging-<token>/              where COPY writes, before the parts are moved in
 *
 * Part row counts: Parquet parts get theirs from COPY's own stats; CSV parts
 * get none (COPY reports only the total, which is what the domain uses), as
 * the port allows.
 */
import { mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { DuckDBInstance, StatementType, type DuckDBConnection } from "@duckdb/node-api";
import { quoteLiteral } from "@/lib/datasets/sql";
import { BackendError } from "@/lib/core/errors";
import type { ManifestEntry, QueryPreview, StatementState, UnloadFormat, UnloadManifest, UnloadRequest, Warehouse } from "@/lib/ports";
import { previewOnDuckDb } from "./duckdb-preview";
import {
  errCode,
  exists,
  isOwnerAlive,
  isPlainKeyPrefix,
  lost,
  newStatementId,
  readStatus,
  runningStatus,
  statementRef,
  watchStatement,
  writeJsonAtomic,
  type StatementRef,
  type StatusFile,
} from "./duckdb-statements";

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

/** DuckDB's error classes that no retry can fix: the query itself is wrong for this warehouse. */
const PERMANENT_ERROR =
  /^(Parser|Binder|Catalog|Conversion|Invalid Input|Not implemented|Permission|Syntax|Out of Range|Constraint|Mismatch Type|Dependency|Invalid Type|Parameter Not (Allowed|Resolved)) Error/i;
/** Upper bound for cancel() to wait for the statement to stop. */
const CANCEL_WAIT_MS = 15_000;

type StopReason = "cancelled" | "abandoned" | "closing";

/** A statement running in this process. */
interface Run {
  ref: StatementRef;
  connection: DuckDBConnection | null;
  stop: StopReason | null;
  done: Promise<void>;
  interrupt(): void;
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
    if (req.format !== "csv" && req.format !== "jsonl" && req.format !== "parquet") {
      throw new BackendError("invalid_unload", `Unknown unload format ${JSON.stringify(req.format)}.`, false);
    }
    if (req.delimiter !== undefined && (req.format !== "csv" || ![",", ";", "\t"].includes(req.delimiter))) {
      throw new BackendError("invalid_unload", `Delimiter ${JSON.stringify(req.delimiter)} is not one of a CSV unload's.`, false);
    }
    if (!isPlainKeyPrefix(req.keyPrefix)) {
      throw new BackendError("invalid_unload", `Unload key prefix ${JSON.stringify(req.keyPrefix)} is not a plain folder path ending in "/".`, false);
    }
    if (typeof req.sql !== "string" || req.sql.trim() === "") throw new BackendError("invalid_unload", "The unload query is empty.", false);

    const instance = await this.instance();
    const ref = this.refOf(newStatementId(req.keyPrefix))!;
    await mkdir(ref.folder, { recursive: true });
    await writeJsonAtomic(ref.statusPath, await runningStatus(ref.statementId));

    const run: Run = { ref, connection: null, stop: null, done: Promise.resolve(), interrupt: () => run.connection?.interrupt() };
    const { token } = ref;
    this.runs.set(token, run);
    // Not awaited: the statement runs on DuckDB's threads while callers poll describe().
    run.done = this.execute(run, instance, req.sql, { format: req.format, delimiter: req.delimiter ?? "," }).finally(() => this.runs.delete(token));
    return { statementId: ref.statementId };
  }

  async preview(req: { sql: string; limit: number; budgetMs: number }): Promise<QueryPreview> {
    if (this.closed) throw new BackendError("warehouse_closed", "The local warehouse is shutting down.", true);
    const con = await (await this.instance()).connect();
    try {
      return await previewOnDuckDb(con, req.sql, req);
    } finally {
      con.closeSync();
    }
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

  /** Ids of the statements this instance is running now (the tests watch a stop take effect with it). */
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

  private refOf(statementId: string): StatementRef | null {
    return statementRef(this.unloadRoot, statementId);
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
  private async execute(run: Run, instance: DuckDBInstance, sql: string, spec: UnloadSpec): Promise<void> {
    const { ref } = run;
    let poller: NodeJS.Timeout | undefined;
    let outcome: Outcome;
    try {
      const con = await instance.connect();
      run.connection = con;
      poller = watchStatement(run, this.cancelPollMs);
      try {
        outcome = await this.unload(run, con, sql, spec);
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

  /** The statement itself: check, COPY into staging, move parts into place. */
  private async unload(run: Run, con: DuckDBConnection, sql: string, { format, delimiter }: UnloadSpec): Promise<Outcome> {
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
    // JSON lines: one object per line, as Redshift's FORMAT JSON writes them (DuckDB's default, not an array).
    const options = {
      csv: `FORMAT csv, HEADER true, DELIMITER ${quoteLiteral(delimiter)}, FILE_SIZE_BYTES ${this.fileSizeBytes}, FILENAME_PATTERN 'part_{i}', RETURN_FILES true`,
      jsonl: `FORMAT json, FILE_SIZE_BYTES ${this.fileSizeBytes}, FILENAME_PATTERN 'part_{i}', RETURN_FILES true`,
      parquet: `FORMAT parquet, FILE_SIZE_BYTES ${this.fileSizeBytes}, FILENAME_PATTERN 'part_{i}', RETURN_STATS true`,
    }[format];
    const result = await con.runAndReadAll(`COPY (\n${body}\n) TO ${quoteLiteral(ref.stagingDir)} (${options})`);
    checkStop();

    const { parts: written, rows } = partsOf(format, result.getRowsJS() as unknown[][]);

    // Parts keep their names when moved in; a rename is atomic, so a reader never sees half a part.
    const entries: (ManifestEntry & { file: string })[] = [];
    for (const part of written) {
      const file = path.join(ref.folder, path.basename(part.file));
      await rename(part.file, file);
      const { size } = await stat(file);
      const key = `${ref.keyPrefix}${path.basename(file)}`;
      entries.push(part.rows === undefined ? { key, bytes: size, file } : { key, rows: part.rows, bytes: size, file });
    }
    await rm(ref.stagingDir, { recursive: true, force: true });
    const manifest: UnloadManifest = {
      entries: entries.map(({ file: _file, ...entry }) => entry),
      rows,
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

/** DuckDB's own message (without the "LINE n: ..." excerpt of our generated SQL) and whether a retry can help. */
function failureOf(err: unknown): Outcome {
  // extractStatements() prefixes parser errors with its own words; PERMANENT_ERROR expects DuckDB's class first.
  const raw = (err instanceof Error ? err.message : String(err)).replace(/^Failed to extract statements: /, "");
  const message = raw.split(/\n+LINE \d+:/)[0].trim() || raw;
  return { state: "failed", message, retryable: !PERMANENT_ERROR.test(message) };
}

/**
 * The parts COPY wrote, in part order, and the total row count. Parquet's
 * RETURN_STATS gives one row per file (filename, count, ...); CSV's
 * RETURN_FILES one row (count, [files]), so CSV parts carry no count of their own.
 */
function partsOf(format: UnloadFormat, rows: unknown[][]): { parts: { file: string; rows?: number }[]; rows: number } {
  let parts: { file: string; rows?: number }[];
  let total: number;
  if (format === "parquet") {
    parts = rows.map((r) => ({ file: String(r[0]), rows: Number(r[1]) }));
    total = parts.reduce((n, p) => n + (p.rows ?? 0), 0);
  } else {
    const [count, files] = rows[0] as [bigint | number, string[]];
    total = Number(count);
    parts = files.map((file) => ({ file }));
  }
  return { parts: parts.sort((a, b) => partIndex(a.file) - partIndex(b.file)), rows: total };
}

/** What one COPY writes. */
interface UnloadSpec {
  format: UnloadFormat;
  delimiter: "," | ";" | "\t";
}

function partIndex(file: string): number {
  const m = /part_(\d+)\.[a-z]+$/.exec(file);
  return m ? Number(m[1]) : Number.MAX_SAFE_INTEGER;
}

/** Redshift's `UNLOAD ... MANIFEST VERBOSE` document. */
function redshiftManifest(entries: (ManifestEntry & { file: string })[], columns: { name: string; type: string }[], total: UnloadManifest) {
  return {
    entries: entries.map((e) => ({
      url: pathToFileURL(e.file).href,
      meta: e.rows === undefined ? { content_length: e.bytes } : { content_length: e.bytes, record_count: e.rows },
    })),
    schema: { elements: columns.map((c) => ({ name: c.name, type: { base: c.type } })) },
    meta: { content_length: total.bytes, record_count: total.rows },
    author: { name: "DuckDbWarehouse", version: "1.0.0" },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
