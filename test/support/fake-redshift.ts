/**
 * TEST ONLY: a fake Redshift Data API over DuckDB, served over HTTP on
 * 127.0.0.1 so the real `@aws-sdk/client-redshift-data` client (and so the
 * real RedshiftWarehouse) talks to it unchanged. It speaks the service's
 * JSON protocol for ExecuteStatement, DescribeStatement, GetStatementResult
 * and CancelStatement.
 *
 * ExecuteStatement accepts a plain SELECT (run at once, its result kept for
 * GetStatementResult: the export form's preview) or an UNLOAD as RedshiftWarehouse renders it
 * (parsed with the same lexer the rendering tests use), checks the target,
 * database, credentials and IAM role the way Redshift would refuse them, and
 * answers with a statement id at once. In the background it runs the inner
 * query on a seeded DuckDB warehouse, writes one CSV (with header) or Parquet
 * part per "slice" — as PARALLEL ON does — and a MANIFEST VERBOSE in
 * Redshift's JSON format into the S3 emulator. CancelStatement interrupts
 * DuckDB. Statement states follow the Data API: SUBMITTED -> PICKED ->
 * STARTED -> FINISHED | FAILED | ABORTED.
 *
 * What real Redshift does that a worker must survive, on demand:
 * - `holdInPicked(true)`: statements wait in PICKED (queued for a WLM slot) until released;
 * - `setSlices(n)`: rows are dealt to n slices round-robin and each slice
 *   writes its own part, so n = 1 gives one part and n above the row count
 *   gives empty parts (header only for CSV with HEADER, zero rows for
 *   Parquet), each listed in the manifest with record_count 0, as a slice
 *   with no rows writes them;
 * - `advanceClock(ms)`: the Data API forgets a statement 24 hours after it
 *   was created (DescribeStatement and CancelStatement then answer
 *   ResourceNotFoundException), so a clock moved past that loses them;
 * - `setQueryString(mode)`: DescribeStatement's QueryString verbatim, masked
 *   (as for statements with sensitive text), truncated, or absent;
 * - MAXFILESIZE: a slice whose file would be larger is written as several
 *   (`0000_part_00`, `0000_part_01`...), its rows split between them, each CSV
 *   file with its header; `maxFileSizeUnit` shrinks the megabyte for tests.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { parseUnload, tokenize, type ParsedUnload } from "./redshift-sql";

export type FakeStatus = "SUBMITTED" | "PICKED" | "STARTED" | "FINISHED" | "FAILED" | "ABORTED";

/** How DescribeStatement reports the statement's text. */
export type QueryStringMode = "verbatim" | "masked" | "truncated" | "absent";

/** The Data API keeps a statement's metadata for 24 hours. */
const STATEMENT_RETENTION_MS = 24 * 3600 * 1000;

const CLOCK_QUERY = /^SELECT TO_CHAR\(SYSDATE, 'YYYY-MM-DD"T"HH24:MI:SS\.MS"Z"'\) AS now$/;

export interface FakeStatement {
  id: string;
  sql: string;
  status: FakeStatus;
  error?: string;
  createdAt: number;
  updatedAt: number;
  resultRows?: number;
  /** A plain SELECT's result, for GetStatementResult. */
  result?: { columns: { name: string; typeName: string }[]; records: Record<string, unknown>[][] };
  input: Record<string, unknown>;
  connection?: DuckDBConnection;
  done: Promise<void>;
}

export interface FakeRedshiftOptions {
  /** The seeded DuckDB file (schema `rsdataapi`), attached read-only. */
  dbPath: string;
  /** Writes the parts and manifest (straight to the S3 emulator). */
  s3: S3Client;
  /** The one bucket UNLOAD may write to. */
  bucket: string;
  /** The one role UNLOAD may assume. */
  iamRoleArn: string;
  database: string;
  /** The cluster or workgroup this fake stands for. */
  target: { clusterIdentifier: string } | { workgroupName: string };
  /** Parts per UNLOAD, like the slices of a cluster. Default 2. */
  slices?: number;
  /**
   * Bytes in one MAXFILESIZE megabyte. UNLOAD starts a slice's next file
   * (`0000_part_01`...) once a file would pass MAXFILESIZE; Redshift refuses
   * less than 5 MB, so tests that want small files shrink the unit instead.
   * Default 1 MiB.
   */
  maxFileSizeUnit?: number;
}

export interface FakeRedshift {
  endpoint: string;
  statements: Map<string, FakeStatement>;
  /** Makes the next `count` ExecuteStatement calls fail with this Data API error (0 to stop). */
  refuseExecutes(count: number, type?: string, message?: string): void;
  /** While on, new statements stop in PICKED; turning it off lets the held ones run. */
  holdInPicked(on: boolean): void;
  /** Slices (parts per UNLOAD) from the next statement on. */
  setSlices(n: number): void;
  /** Moves the fake's clock on: statements created more than 24 h before it are forgotten. */
  advanceClock(ms: number): void;
  setQueryString(mode: QueryStringMode): void;
  stop(): Promise<void>;
}

class ApiFault extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export async function startFakeRedshift(opts: FakeRedshiftOptions): Promise<FakeRedshift> {
  const db = await DuckDBInstance.create(":memory:");
  const setup = await db.connect();
  const escapedPath = opts.dbPath.replaceAll("'", "''");
  await setup.run(`ATTACH '${escapedPath}' AS wh (READ_ONLY)`);
  setup.closeSync();
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), "pep-fake-redshift-"));
  const statements = new Map<string, FakeStatement>();
  let slices = opts.slices ?? 2;
  let refusals = { left: 0, type: "", message: "" };
  let clockOffsetMs = 0;
  const now = () => (Date.now() + clockOffsetMs) / 1000;
  /** The Data API has forgotten it (24 hours after it was submitted, on the fake's clock). */
  const forgotten = (s: FakeStatement) => now() - s.createdAt > STATEMENT_RETENTION_MS / 1000;
  let queryStringMode: QueryStringMode = "verbatim";
  let held: { on: boolean; waiting: Array<() => void> } = { on: false, waiting: [] };

  const actions: Record<string, (input: Record<string, unknown>) => Promise<unknown>> = {
    ExecuteStatement: async (input) => {
      if (refusals.left > 0) {
        refusals.left--;
        throw new ApiFault(refusals.type, refusals.message);
      }
      checkTarget(input);
      if (typeof input.Sql !== "string" || input.Sql === "") throw new ApiFault("ValidationException", "Sql is required.");
      const at = now();
      const statement: FakeStatement = { id: randomUUID(), sql: input.Sql, status: "SUBMITTED", createdAt: at, updatedAt: at, input, done: Promise.resolve() };
      statements.set(statement.id, statement);
      const sliceCount = slices;
      statement.done = new Promise((resolve) => setImmediate(resolve)).then(() => run(statement, sliceCount));
      return { Id: statement.id, CreatedAt: at, Database: input.Database, ...pickTarget(input) };
    },
    DescribeStatement: async (input) => {
      const s = find(input.Id);
      return {
        Id: s.id,
        Status: s.status,
        Error: s.error,
        ...queryStringOf(s.sql),
        CreatedAt: s.createdAt,
        UpdatedAt: s.updatedAt,
        Duration: Math.round((s.updatedAt - s.createdAt) * 1e9),
        HasResultSet: s.result !== undefined,
        ResultRows: s.resultRows ?? -1,
        Database: s.input.Database,
        ...pickTarget(s.input),
      };
    },
    GetStatementResult: async (input) => {
      const s = find(input.Id);
      if (s.status !== "FINISHED" || !s.result) throw new ApiFault("ValidationException", `Query does not have result. Please check query status with DescribeStatement.`);
      return {
        ColumnMetadata: s.result.columns.map((c) => ({ name: c.name, label: c.name, typeName: c.typeName })),
        Records: s.result.records,
        TotalNumRows: s.result.records.length,
      };
    },
    CancelStatement: async (input) => {
      const s = find(input.Id);
      if (s.status !== "SUBMITTED" && s.status !== "PICKED" && s.status !== "STARTED") {
        throw new ApiFault("ValidationException", `Could not cancel a query that is already in ${s.status} state.`);
      }
      abort(s);
      return { Status: true };
    },
  };

  function checkTarget(input: Record<string, unknown>): void {
    const wantsCluster = "clusterIdentifier" in opts.target;
    if (wantsCluster ? input.ClusterIdentifier !== (opts.target as { clusterIdentifier: string }).clusterIdentifier : input.WorkgroupName !== (opts.target as { workgroupName: string }).workgroupName) {
      throw new ApiFault("ValidationException", "Cluster or workgroup not found, or both were given.");
    }
    if (input.ClusterIdentifier !== undefined && input.WorkgroupName !== undefined) throw new ApiFault("ValidationException", "Specify a cluster or a workgroup, not both.");
    if (wantsCluster && (input.SecretArn === undefined) === (input.DbUser === undefined)) {
      throw new ApiFault("ValidationException", "Either SecretArn or DbUser is required for a provisioned cluster.");
    }
    if (!wantsCluster && input.DbUser !== undefined) throw new ApiFault("ValidationException", "DbUser is not supported for Redshift Serverless.");
    if (input.Database !== opts.database) throw new ApiFault("ValidationException", `database "${String(input.Database)}" does not exist`);
  }

  /**
   * Marks the statement aborted and interrupts its DuckDB query, again and
   * again until it has stopped: an interrupt that lands between two queries
   * of the statement would otherwise be lost.
   */
  function abort(s: FakeStatement): void {
    settle(s, "ABORTED");
    const again = setInterval(() => s.connection?.interrupt(), 20);
    s.connection?.interrupt();
    void s.done.finally(() => clearInterval(again));
  }

  function find(id: unknown): FakeStatement {
    if (typeof id !== "string" || !/^[a-z0-9]{8}(-[a-z0-9]{4}){3}-[a-z0-9]{12}(:\d+)?$/.test(id)) {
      throw new ApiFault("ValidationException", "1 validation error detected: Value at 'id' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-z0-9]{8}(-[a-z0-9]{4}){3}-[a-z0-9]{12}(:\\d+)?$");
    }
    const s = statements.get(id);
    if (!s || forgotten(s)) throw new ApiFault("ResourceNotFoundException", `Query does not exist.`, { ResourceId: String(id) });
    return s;
  }

  function settle(s: FakeStatement, status: Exclude<FakeStatus, "SUBMITTED" | "STARTED">, error?: string): void {
    if (s.status !== "SUBMITTED" && s.status !== "PICKED" && s.status !== "STARTED") return; // cancelled meanwhile: keep ABORTED
    s.status = status;
    s.error = error;
    s.updatedAt = now();
  }

  /** What DescribeStatement says the statement's text is. */
  function queryStringOf(sql: string): { QueryString?: string } {
    switch (queryStringMode) {
      case "verbatim":
        return { QueryString: sql };
      case "masked":
        return { QueryString: "****" };
      case "truncated":
        return { QueryString: sql.slice(0, 40) };
      case "absent":
        return {};
    }
  }

  async function run(s: FakeStatement, sliceCount: number): Promise<void> {
    if (s.status !== "SUBMITTED") return;
    s.status = "PICKED";
    s.updatedAt = now();
    if (held.on) await new Promise<void>((resolve) => held.waiting.push(resolve));
    if (s.status !== "PICKED") return; // cancelled while queued
    // Forgotten while queued (advanceClock): it must not write into the prefix its replacement writes to. Two
    // statements writing one manifest at once made s3rver throw ENOENT outside any request (a failed vitest run).
    if (forgotten(s)) return;
    s.status = "STARTED";
    s.updatedAt = now();
    if (CLOCK_QUERY.test(s.sql)) {
      // RedshiftWarehouse.currentTime: SYSDATE is the transaction's start, on the fake's (the host's) clock.
      s.result = { columns: [{ name: "now", typeName: "varchar" }], records: [[{ stringValue: new Date(s.createdAt * 1000).toISOString() }]] };
      s.resultRows = 1;
      settle(s, "FINISHED");
      return;
    }
    if (/^\s*(?:SELECT|WITH)\b/i.test(s.sql)) return runSelect(s);
    let unload: ParsedUnload;
    try {
      unload = parseUnload(s.sql);
    } catch (err) {
      return settle(s, "FAILED", `ERROR: syntax error: ${(err as Error).message}`);
    }
    const problem = refusal(unload);
    if (problem) return settle(s, "FAILED", problem);
    if (!unload.options.includes("ALLOWOVERWRITE")) {
      const existing = await opts.s3.send(new ListObjectsV2Command({ Bucket: unload.bucket, Prefix: unload.keyPrefix, MaxKeys: 1 }));
      if ((existing.Contents ?? []).length > 0) return settle(s, "FAILED", "ERROR: Specified unload destination on S3 is not empty. Consider using a different bucket / prefix, manually removing the target files in S3, or using the ALLOWOVERWRITE option.");
    }

    const parquet = unload.options.includes("FORMAT PARQUET");
    const json = unload.options.includes("FORMAT JSON");
    const dir = path.join(scratch, s.id);
    await fs.mkdir(dir);
    const con = await db.connect();
    s.connection = con;
    const table = `unload_${s.id.replaceAll("-", "")}`;
    try {
      await con.run("USE wh");
      if (s.status !== "STARTED") return;
      // __slice deals rows round-robin to the slices; __rn numbers them within their slice (for MAXFILESIZE's files).
      await con.run(
        `CREATE TEMP TABLE ${table} AS SELECT * EXCLUDE (__n), (__n - 1) % ${sliceCount} AS __slice, (__n - 1) // ${sliceCount} AS __rn FROM (SELECT q.*, row_number() OVER () AS __n FROM (${unload.query}) q)`,
      );
      const entries: Array<{ url: string; meta: { content_length: number; record_count: number } }> = [];
      const maxBytes = maxFileBytes(unload);
      for (let slice = 0; slice < sliceCount; slice++) {
        if (s.status !== "STARTED") return;
        entries.push(...(await writeSlice({ con, table, slice, unload, dir, parquet, json, header: unload.options.includes("HEADER"), gzip: unload.options.includes("GZIP") }, maxBytes)));
      }
      const columns = (await con.runAndReadAll(`SELECT column_name, column_type FROM (DESCRIBE ${table}) WHERE column_name NOT IN ('__slice', '__rn')`)).getRows();
      const manifest = {
        entries,
        schema: { elements: columns.map(([name, type]) => ({ name: String(name), type: { base: String(type).toLowerCase() } })) },
        meta: { content_length: entries.reduce((n, e) => n + e.meta.content_length, 0), record_count: entries.reduce((n, e) => n + e.meta.record_count, 0) },
        author: { name: "Amazon Redshift", version: "1.0.0" },
      };
      if (s.status !== "STARTED") return;
      await opts.s3.send(new PutObjectCommand({ Bucket: unload.bucket, Key: `${unload.keyPrefix}manifest`, Body: JSON.stringify(manifest) }));
      s.resultRows = manifest.meta.record_count;
      settle(s, "FINISHED");
    } catch (err) {
      settle(s, "FAILED", `ERROR: ${(err as Error).message}`);
    } finally {
      s.connection = undefined;
      await con.run(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
      con.closeSync();
      await fs.rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * A plain SELECT (the export form's preview): one statement, run on DuckDB,
   * its result kept for GetStatementResult with the Data API's typed fields
   * (integers as longValue; decimals, dates and text as stringValue).
   */
  async function runSelect(s: FakeStatement): Promise<void> {
    const outside = tokenize(s.sql).filter((t) => t.kind === "comment" || (t.kind === "punct" && t.text === ";"));
    if (outside.length > 0) return settle(s, "FAILED", "ERROR: the Data API runs one statement per ExecuteStatement");
    const con = await db.connect();
    s.connection = con;
    try {
      await con.run("USE wh");
      const reader = await con.runAndReadAll(s.sql);
      const columns = reader.columnNames().map((name, i) => ({ name, typeName: redshiftType(reader.columnTypes()[i]!.toString()) }));
      // DuckDB's own text for each value (decimals keep their scale, timestamps read "2025-01-31 08:00:00"), as Redshift sends them.
      const records = reader.getRows().map((row) =>
        row.map((v, i): Record<string, unknown> => {
          if (v === null || v === undefined) return { isNull: true };
          const t = columns[i]!.typeName;
          if (t === "int4" || t === "int8" || t === "int2") return { longValue: Number(v) };
          if (t === "bool") return { booleanValue: Boolean(v) };
          if (t === "float8") return { doubleValue: Number(v) };
          return { stringValue: String(v) };
        }),
      );
      s.result = { columns, records };
      s.resultRows = records.length;
      settle(s, "FINISHED");
    } catch (err) {
      settle(s, "FAILED", `ERROR: ${(err as Error).message}`);
    } finally {
      s.connection = undefined;
      con.closeSync();
    }
  }

  /**
   * One slice's part: its rows (header line first for CSV with HEADER; a
   * header-only or, without HEADER, empty file when the slice has no rows; a
   * zero-row Parquet file likewise) written to the unload prefix, and its
   * manifest entry. The one place parts are written.
   */
  /** MAXFILESIZE in bytes (Infinity without it); `refusal` has checked its form. */
  function maxFileBytes(u: ParsedUnload): number {
    const option = u.options.find((o) => o.startsWith("MAXFILESIZE"));
    const m = option ? /^MAXFILESIZE (\d+) MB$/.exec(option) : null;
    return m ? Number(m[1]) * (opts.maxFileSizeUnit ?? 1024 * 1024) : Infinity;
  }

  type PartInput = { con: DuckDBConnection; table: string; slice: number; unload: ParsedUnload; dir: string; parquet: boolean; json: boolean; header: boolean; gzip: boolean };

  /**
   * One slice's files: one, or as many as keep each within MAXFILESIZE (`maxBytes`), the slice's
   * rows split evenly between them in order, each CSV file with its own header, as UNLOAD does.
   */
  async function writeSlice(p: PartInput, maxBytes: number) {
    const whole = await writePart(p, 0, null);
    if (whole.bytes <= maxBytes || whole.meta.record_count <= 1) return [whole.entry];
    const rows = whole.meta.record_count;
    for (let files = Math.ceil(whole.bytes / maxBytes); ; files++) {
      const per = Math.ceil(rows / files);
      const written = [];
      for (let i = 0; i * per < rows; i++) written.push(await writePart(p, i, { from: i * per, to: Math.min(rows, (i + 1) * per) }));
      if (written.every((w) => w.bytes <= maxBytes) || per === 1) return written.map((w) => w.entry);
    }
  }

  async function writePart(p: PartInput, index: number, rowRange: { from: number; to: number } | null) {
    const name = `${String(p.slice).padStart(4, "0")}_part_${String(index).padStart(2, "0")}${p.parquet ? ".parquet" : p.gzip ? ".gz" : ""}`;
    // The local file has no .gz: DuckDB would gzip by the extension, and the gzip step below is UNLOAD's.
    const file = path.join(p.dir, name.replace(/\.gz$/, ""));
    // FORMAT JSON: one object per line, no header, as Redshift writes it.
    const delimiter = `'${(p.unload.delimiter ?? ",").replaceAll("'", "''")}'`;
    const format = p.parquet ? "FORMAT parquet" : p.json ? "FORMAT json" : `FORMAT csv, HEADER ${p.header}, DELIMITER ${delimiter}`;
    const where = `__slice = ${p.slice}${rowRange ? ` AND __rn >= ${rowRange.from} AND __rn < ${rowRange.to}` : ""}`;
    await p.con.run(`COPY (SELECT * EXCLUDE (__slice, __rn) FROM ${p.table} WHERE ${where} ORDER BY __rn) TO '${file.replaceAll("'", "''")}' (${format})`);
    const rows = Number((await p.con.runAndReadAll(`SELECT count(*) FROM ${p.table} WHERE ${where}`)).getRows()[0]![0]);
    // DuckDB writes no header for zero rows; a Redshift slice with HEADER and no rows writes the header alone.
    let body = await fs.readFile(file);
    if (!p.parquet && !p.json && p.header && rows === 0 && body.length === 0) {
      const cols = (await p.con.runAndReadAll(`SELECT column_name FROM (DESCRIBE ${p.table}) WHERE column_name NOT IN ('__slice', '__rn')`)).getRows();
      const sep = p.unload.delimiter ?? ",";
      body = Buffer.from(`${cols.map(([c]) => csvField(String(c), sep)).join(sep)}\n`);
    }
    // GZIP: one gzip member per part, as UNLOAD writes it; the manifest's content_length is the object's (compressed) size.
    if (p.gzip) body = zlib.gzipSync(body);
    const key = `${p.unload.keyPrefix}${name}`;
    // The first try at a slice that MAXFILESIZE then splits is not uploaded (writeSlice writes its pieces).
    if (rowRange || body.length <= maxFileBytes(p.unload) || rows <= 1) await opts.s3.send(new PutObjectCommand({ Bucket: p.unload.bucket, Key: key, Body: body }));
    return { bytes: body.length, meta: { content_length: body.length, record_count: rows }, entry: { url: `s3://${p.unload.bucket}/${key}`, meta: { content_length: body.length, record_count: rows } } };
  }

  /** What Redshift would answer an UNLOAD it cannot run. */
  function refusal(u: ParsedUnload): string | null {
    if (u.iamRole !== opts.iamRoleArn) return `ERROR: User arn:aws:redshift:...:dbuser is not authorized to assume IAM Role ${u.iamRole}`;
    if (u.bucket !== opts.bucket) return `ERROR: S3ServiceException: Access Denied, Bucket ${u.bucket}`;
    if (!u.keyPrefix.endsWith("/")) return "ERROR: this fake only writes to prefixes ending in /";
    const words = u.options.flatMap((o) => o.split(" "));
    const parquet = u.options.includes("FORMAT PARQUET");
    const json = u.options.includes("FORMAT JSON");
    if (!parquet && !json && !u.options.includes("FORMAT CSV")) return "ERROR: this fake only unloads FORMAT CSV, FORMAT JSON or FORMAT PARQUET";
    if (parquet && words.some((w) => ["HEADER", "DELIMITER", "ADDQUOTES", "ESCAPE", "NULL", "GZIP", "BZIP2", "ZSTD", "FIXEDWIDTH"].includes(w))) {
      return "ERROR: UNLOAD PARQUET does not support HEADER, DELIMITER, ADDQUOTES, ESCAPE, NULL AS, FIXEDWIDTH or compression options.";
    }
    // Redshift: "HEADER, DELIMITER, FIXEDWIDTH, ADDQUOTES, ESCAPE and NULL AS are not supported with FORMAT JSON".
    if (json && words.some((w) => ["HEADER", "DELIMITER", "ADDQUOTES", "ESCAPE", "NULL", "FIXEDWIDTH"].includes(w))) {
      return "ERROR: UNLOAD JSON does not support HEADER, DELIMITER, ADDQUOTES, ESCAPE, NULL AS or FIXEDWIDTH.";
    }
    if (u.delimiter !== undefined && u.delimiter.length !== 1) return "ERROR: DELIMITER must be a single ASCII character";
    if (!u.options.includes("MANIFEST VERBOSE")) return "ERROR: this fake only writes MANIFEST VERBOSE manifests";
    const size = u.options.find((o) => o.startsWith("MAXFILESIZE"));
    const m = size ? /^MAXFILESIZE (\d+) MB$/.exec(size) : null;
    if (size && (!m || Number(m[1]) < 5 || Number(m[1]) > 6200)) return "ERROR: MAXFILESIZE must be between 5 MB and 6.2 GB";
    return null;
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const target = String(req.headers["x-amz-target"] ?? "");
      const action = target.startsWith("RedshiftData.") ? actions[target.slice("RedshiftData.".length)] : undefined;
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": randomUUID() });
        res.end(JSON.stringify(body));
      };
      if (!action) return reply(400, { __type: "UnknownOperationException", message: `unknown operation ${target}` });
      let input: Record<string, unknown>;
      try {
        input = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
      } catch {
        return reply(400, { __type: "SerializationException", message: "body is not JSON" });
      }
      action(input).then(
        (out) => reply(200, out),
        (err: unknown) => {
          if (err instanceof ApiFault) reply(400, { __type: err.type, message: err.message, Message: err.message, ...err.extra });
          else reply(500, { __type: "InternalServerException", message: String(err) });
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    endpoint,
    statements,
    refuseExecutes: (count, type = "ActiveStatementsExceededException", message = "Active statements exceeded the allowed quota.") => {
      refusals = { left: count, type, message };
    },
    holdInPicked: (on) => {
      const waiting = held.waiting;
      held = { on, waiting: on ? waiting : [] };
      if (!on) for (const release of waiting) release();
    },
    setSlices: (n) => {
      if (!Number.isInteger(n) || n < 1) throw new RangeError("slices must be a positive integer");
      slices = n;
    },
    advanceClock: (ms) => {
      clockOffsetMs += ms;
    },
    setQueryString: (mode) => {
      queryStringMode = mode;
    },
    stop: async () => {
      for (const release of held.waiting) release();
      held = { on: false, waiting: [] };
      for (const s of statements.values()) {
        if (s.status === "STARTED" || s.status === "PICKED" || s.status === "SUBMITTED") abort(s);
      }
      await Promise.all([...statements.values()].map((s) => s.done.catch(() => undefined)));
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      db.closeSync();
      await fs.rm(scratch, { recursive: true, force: true });
    },
  };
}

/** DuckDB's type name as Redshift's Data API names it in ColumnMetadata. */
function redshiftType(duck: string): string {
  const t = duck.toUpperCase();
  if (t === "INTEGER") return "int4";
  if (t === "BIGINT" || t === "HUGEINT") return "int8";
  if (t === "SMALLINT") return "int2";
  if (t === "BOOLEAN") return "bool";
  if (t === "DOUBLE" || t === "FLOAT") return "float8";
  if (t.startsWith("DECIMAL")) return "numeric";
  if (t.startsWith("TIMESTAMP")) return "timestamp";
  return "varchar";
}

function csvField(v: string, sep = ","): string {
  return /["\n\r]/.test(v) || v.includes(sep) ? `"${v.replaceAll('"', '""')}"` : v;
}

function pickTarget(input: Record<string, unknown>): Record<string, unknown> {
  return input.ClusterIdentifier !== undefined ? { ClusterIdentifier: input.ClusterIdentifier } : { WorkgroupName: input.WorkgroupName };
}
