import {
  CancelStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  type RedshiftDataClient,
} from "@aws-sdk/client-redshift-data";
import { z } from "zod";
import type { ManifestEntry, ObjectStore, QueryPreview, StatementState, UnloadFormat, UnloadManifest, UnloadRequest, Warehouse } from "@/lib/ports";
import { previewOnRedshift } from "./redshift-preview";
import { quoteLiteral } from "@/lib/datasets/sql";
import { BackendError, ObjectNotFoundError } from "@/lib/core/errors";
import { awsErrorMessage, awsErrorName, isTransientAwsError } from "./aws-errors";
import { resolveClient, type ClientSource } from "./clients";

/** Where the statement runs: a provisioned cluster or a Redshift Serverless workgroup. */
export type RedshiftTarget =
  /** Provisioned: authenticate with a Secrets Manager secret or as a database user (temporary IAM credentials). */
  | { kind: "cluster"; clusterIdentifier: string; database: string; secretArn?: string; dbUser?: string }
  /** Serverless: a Secrets Manager secret, or the caller's IAM identity when none is given. */
  | { kind: "workgroup"; workgroupName: string; database: string; secretArn?: string };

export interface RedshiftWarehouseOptions {
  client: ClientSource<RedshiftDataClient>;
  target: RedshiftTarget;
  /** Role Redshift assumes to write to the unload bucket (needs s3:PutObject there). */
  iamRoleArn: string;
  /** Bucket behind `unloadStore`: UNLOAD writes `s3://<unloadBucket>/<keyPrefix>...`. */
  unloadBucket: string;
  /** The unload bucket as an object store, to read the manifests UNLOAD writes. */
  unloadStore: ObjectStore;
  /** MAXFILESIZE of each part, 5..6200 MB (Redshift's limits). */
  maxFileSizeMb: number;
  /**
   * Default true. False unloads plain CSV parts, which the archive step deflates itself: the
   * recompressing path that `bench:export --backend aws` measures the re-framing one against.
   */
  gzipCsv?: boolean;
}

/**
 * The options of each format. Redshift refuses HEADER (and DELIMITER,
 * ADDQUOTES, ESCAPE, NULL AS, compression) with PARQUET and with JSON, and
 * FIXEDWIDTH, ADDQUOTES and ESCAPE with CSV; none of those is ever rendered,
 * and the combinations are fixed here rather than assembled from flags. The
 * one variable part, CSV's delimiter, is one of three characters, rendered as
 * a literal (a tab is a tab inside the quotes, as '\t' would be). CSV parts are
 * gzipped on the cluster's slices, in parallel: the archive step copies their
 * deflate data into the zip as it is (lib/zip re-frames gzip members), so the
 * worker never deflates CSV itself. Parts are named `<slice>_part_<n>.gz` (without `gzip`, the
 * bench's baseline: plain `<slice>_part_<n>`).
 */
function formatOptions(format: UnloadFormat, delimiter: "," | ";" | "\t" = ",", gzip = true): readonly string[] {
  switch (format) {
    case "csv": {
      if (![",", ";", "\t"].includes(delimiter)) throw new Error(`not a CSV delimiter: ${JSON.stringify(delimiter)}`);
      const options = delimiter === "," ? ["FORMAT CSV", "HEADER"] : ["FORMAT CSV", `DELIMITER AS ${quoteLiteral(delimiter)}`, "HEADER"];
      return gzip ? [...options, "GZIP"] : options;
    }
    case "jsonl":
      return ["FORMAT JSON"];
    case "parquet":
      return ["FORMAT PARQUET"];
    default:
      throw new Error(`not an unload format: ${JSON.stringify(format)}`);
  }
}

/**
 * Statement errors that a later attempt can get past (lock conflicts, S3 or
 * cluster hiccups). Everything else — bad SQL, missing tables, permissions —
 * fails the export at once.
 */
const TRANSIENT_STATEMENT_ERROR =
  /serializable isolation violation|conflict with concurrent transaction|SlowDown|Please reduce your request rate|ServiceUnavailable|InternalError|connection (?:reset|refused|timed out)|could not connect|temporarily unavailable|cluster is (?:resizing|rebooting|modifying)|query was cancelled because of (?:a )?(?:restart|failover)/i;

/** The Data API's statement ids (a UUID, with `:<n>` for a sub-statement); anything else names no statement. */
const STATEMENT_ID = /^[a-z0-9]{8}(?:-[a-z0-9]{4}){3}-[a-z0-9]{12}(?::\d+)?$/;

/** Cap on warehouse error text kept in the export's history. */
const MAX_MESSAGE = 2000;
/** How long `currentTime` waits for its one-row statement. */
const CLOCK_WAIT_MS = 10_000;

const ZManifest = z.object({
  entries: z.array(
    z.object({
      url: z.string(),
      meta: z.object({ content_length: z.number().int().nonnegative(), record_count: z.number().int().nonnegative() }),
    }),
  ),
});

/**
 * The Warehouse port on the Redshift Data API. `submitUnload` sends one
 * `UNLOAD ('<query>') TO 's3://<bucket>/<prefix>' ... MANIFEST VERBOSE` and
 * returns the statement id at once; `describe` maps DescribeStatement to the
 * port's states and, when the statement finished, reads the manifest UNLOAD
 * wrote (part keys, row counts, sizes). Nothing waits for a query: the worker
 * re-checks with delayed poll messages.
 *
 * `describe` is told the prefix the statement was submitted with (the worker
 * chose it), so no state is kept between calls and any worker process can
 * check any statement. It never reads the target back out of
 * DescribeStatement's QueryString: the Data API may mask or truncate that text.
 */
export class RedshiftWarehouse implements Warehouse {
  private readonly source: ClientSource<RedshiftDataClient>;
  private readonly opts: RedshiftWarehouseOptions;

  constructor(opts: RedshiftWarehouseOptions) {
    checkTarget(opts.target);
    if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(opts.iamRoleArn)) throw new Error(`RedshiftWarehouse: not an IAM role ARN: ${opts.iamRoleArn}`);
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(opts.unloadBucket)) throw new Error(`RedshiftWarehouse: not a bucket name: ${opts.unloadBucket}`);
    if (!Number.isInteger(opts.maxFileSizeMb) || opts.maxFileSizeMb < 5 || opts.maxFileSizeMb > 6200) {
      throw new RangeError("RedshiftWarehouse: maxFileSizeMb must be an integer between 5 and 6200 (Redshift's MAXFILESIZE limits)");
    }
    this.source = opts.client;
    this.opts = opts;
  }

  private get client(): RedshiftDataClient {
    return resolveClient(this.source);
  }

  async submitUnload(req: UnloadRequest): Promise<{ statementId: string }> {
    let sql: string;
    try {
      sql = renderUnload({
        query: req.sql,
        format: req.format,
        delimiter: req.delimiter,
        bucket: this.opts.unloadBucket,
        keyPrefix: req.keyPrefix,
        iamRoleArn: this.opts.iamRoleArn,
        maxFileSizeMb: this.opts.maxFileSizeMb,
        gzip: this.opts.gzipCsv ?? true,
      });
    } catch (err) {
      throw new BackendError("invalid_query", `The export query cannot be sent to Redshift: ${awsErrorMessage(err)}`, false, { cause: err });
    }
    const t = this.opts.target;
    try {
      const out = await this.client.send(
        new ExecuteStatementCommand({
          Sql: sql,
          Database: t.database,
          ...(t.kind === "cluster" ? { ClusterIdentifier: t.clusterIdentifier, DbUser: t.dbUser } : { WorkgroupName: t.workgroupName }),
          SecretArn: t.secretArn,
          StatementName: `export-${req.exportId}`.replace(/[^\w.-]/g, "_").slice(0, 500),
          WithEvent: false,
        }),
      );
      if (!out.Id) throw new Error("Redshift ExecuteStatement returned no statement id");
      return { statementId: out.Id };
    } catch (err) {
      throw submitError(err);
    }
  }

  async preview(req: { sql: string; limit: number; budgetMs: number }): Promise<QueryPreview> {
    const t = this.opts.target;
    const target = {
      Database: t.database,
      ...(t.kind === "cluster" ? { ClusterIdentifier: t.clusterIdentifier, DbUser: t.dbUser } : { WorkgroupName: t.workgroupName }),
      SecretArn: t.secretArn,
    };
    return previewOnRedshift(this.client, target, req.sql, req);
  }

  async describe(statementId: string, keyPrefix: string): Promise<StatementState> {
    // The Data API answers a malformed id with a ValidationException; for the port it is simply unknown.
    if (!STATEMENT_ID.test(statementId)) return { state: "failed", message: `Redshift knows no statement ${JSON.stringify(statementId)}.`, retryable: true };
    let out;
    try {
      out = await this.client.send(new DescribeStatementCommand({ Id: statementId }));
    } catch (err) {
      // The Data API forgets statements after 24 hours; the worker then submits a fresh one.
      if (awsErrorName(err) === "ResourceNotFoundException") {
        return { state: "failed", message: `Redshift no longer knows statement ${statementId}: ${awsErrorMessage(err)}`, retryable: true };
      }
      throw new BackendError("warehouse_unavailable", `Redshift DescribeStatement failed: ${awsErrorMessage(err)}`, isTransientAwsError(err), { cause: err });
    }
    switch (out.Status) {
      case "SUBMITTED":
      case "PICKED":
      case "STARTED":
        return { state: "running" };
      case "ABORTED":
        return { state: "aborted" };
      case "FAILED": {
        const message = (out.Error ?? "Redshift reported the statement as failed without an error message.").slice(0, MAX_MESSAGE);
        return { state: "failed", message, retryable: TRANSIENT_STATEMENT_ERROR.test(message) };
      }
      case "FINISHED": {
        if (!isKeyPrefix(keyPrefix)) return { state: "failed", message: `Not an unload key prefix: ${JSON.stringify(keyPrefix)}.`, retryable: false };
        return this.readManifest(keyPrefix);
      }
      default:
        return { state: "failed", message: `Redshift reported an unknown statement status ${String(out.Status)}.`, retryable: true };
    }
  }

  /**
   * Redshift's clock: a one-row statement through the Data API (no bind
   * parameters, no table), polled until it finishes (a few hundred ms).
   * SYSDATE is the transaction's start in UTC, with microseconds; ms are kept.
   */
  async currentTime(): Promise<Date> {
    const t = this.opts.target;
    try {
      const out = await this.client.send(
        new ExecuteStatementCommand({
          Sql: "SELECT TO_CHAR(SYSDATE, 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS now",
          Database: t.database,
          ...(t.kind === "cluster" ? { ClusterIdentifier: t.clusterIdentifier, DbUser: t.dbUser } : { WorkgroupName: t.workgroupName }),
          SecretArn: t.secretArn,
          StatementName: "portal-clock",
          WithEvent: false,
        }),
      );
      const id = out.Id;
      if (!id) throw new Error("Redshift ExecuteStatement returned no statement id");
      const deadline = Date.now() + CLOCK_WAIT_MS;
      for (let pause = 50; ; pause = Math.min(pause * 2, 500)) {
        const d = await this.client.send(new DescribeStatementCommand({ Id: id }));
        if (d.Status === "FINISHED") break;
        if (d.Status === "FAILED" || d.Status === "ABORTED") throw new Error(d.Error ?? `clock statement ${d.Status}`);
        if (Date.now() > deadline) throw new Error("the clock statement did not finish in time");
        await new Promise((r) => setTimeout(r, pause));
      }
      const result = await this.client.send(new GetStatementResultCommand({ Id: id }));
      const text = result.Records?.[0]?.[0]?.stringValue;
      const at = text ? new Date(text) : null;
      if (!at || Number.isNaN(at.getTime())) throw new Error(`Redshift returned no time (${JSON.stringify(text)})`);
      return at;
    } catch (err) {
      throw new BackendError("warehouse_unavailable", `Could not read Redshift's clock: ${awsErrorMessage(err)}`, true, { cause: err });
    }
  }

  async cancel(statementId: string): Promise<void> {
    if (!STATEMENT_ID.test(statementId)) return;
    try {
      await this.client.send(new CancelStatementCommand({ Id: statementId }));
    } catch (err) {
      const name = awsErrorName(err);
      // Gone, or no longer running (finished, failed or already aborted): nothing to cancel.
      if (name === "ResourceNotFoundException") return;
      if (name === "ValidationException" && /FINISHED|FAILED|ABORTED|already|not (?:in )?(?:a )?(?:running|cancel)/i.test(awsErrorMessage(err))) return;
      throw err;
    }
  }

  /** The Data API client is shared and closed with the others by `lib/config.ts`. */
  async close(): Promise<void> {}

  private async readManifest(keyPrefix: string): Promise<StatementState> {
    const manifestKey = `${keyPrefix}manifest`;
    let text: string;
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of await this.opts.unloadStore.openRead(manifestKey)) chunks.push(Buffer.from(chunk as Uint8Array));
      text = Buffer.concat(chunks).toString("utf8");
    } catch (err) {
      // Deleted after the run (lifecycle rule, cleanup): the worker runs the query again.
      if (err instanceof ObjectNotFoundError) return { state: "failed", message: `The UNLOAD manifest ${manifestKey} is missing.`, retryable: true };
      throw new BackendError("manifest_unreadable", `Could not read the UNLOAD manifest ${manifestKey}: ${awsErrorMessage(err)}`, true, { cause: err });
    }
    let parsed;
    try {
      parsed = ZManifest.parse(JSON.parse(text));
    } catch (err) {
      return { state: "failed", message: `The UNLOAD manifest ${manifestKey} is malformed: ${awsErrorMessage(err)}`.slice(0, MAX_MESSAGE), retryable: false };
    }
    const urlPrefix = `s3://${this.opts.unloadBucket}/`;
    // MANIFEST VERBOSE gives every part its record_count: the total is their sum.
    const entries: (ManifestEntry & { rows: number })[] = [];
    for (const e of parsed.entries) {
      const key = e.url.startsWith(urlPrefix) ? e.url.slice(urlPrefix.length) : null;
      // Parts outside the statement's own prefix would let a manifest point the archive at other files.
      if (key === null || !key.startsWith(keyPrefix) || key.split("/").some((s) => s === "" || s === "." || s === "..")) {
        return { state: "failed", message: `The UNLOAD manifest lists a part outside ${urlPrefix}${keyPrefix}: ${e.url}`, retryable: false };
      }
      entries.push({ key, rows: e.meta.record_count, bytes: e.meta.content_length });
    }
    const manifest: UnloadManifest = {
      entries,
      rows: entries.reduce((n, e) => n + e.rows, 0),
      bytes: entries.reduce((n, e) => n + e.bytes, 0),
    };
    return { state: "finished", manifest };
  }
}

export interface RenderUnloadInput {
  /** One SELECT with every literal already rendered by `quoteLiteral`. */
  query: string;
  format: UnloadFormat;
  /** CSV only; default ",". */
  delimiter?: "," | ";" | "\t";
  bucket: string;
  /** Key prefix of the parts and manifest, ending with "/". */
  keyPrefix: string;
  iamRoleArn: string;
  maxFileSizeMb: number;
  /** CSV only; default true (UNLOAD ... GZIP). */
  gzip?: boolean;
}

/**
 * The UNLOAD statement. The query becomes one string literal through
 * `quoteLiteral` (quotes doubled; backslashes, NUL and lone surrogates
 * refused, since a backslash escapes inside Redshift literals), so nothing in
 * it — quotes, `$$`, `--`, `;` — can end the literal or start a second
 * statement. Target and role are literals too. ALLOWOVERWRITE lets a retry
 * reuse the export's prefix; the manifest lists only the new statement's
 * parts, so stale files could never reach an archive.
 */
/** A relative key prefix ending in "/", without empty, "." or ".." segments or backslashes. */
function isKeyPrefix(prefix: string): boolean {
  return prefix.endsWith("/") && !prefix.startsWith("/") && !prefix.includes("\\") && !prefix.slice(0, -1).split("/").some((s) => s === "" || s === "." || s === "..");
}

export function renderUnload(input: RenderUnloadInput): string {
  const query = input.query.trim().replace(/;\s*$/, "");
  if (query === "") throw new Error("the query is empty");
  if (!/^(?:SELECT|WITH)\b/i.test(query)) throw new Error("UNLOAD takes a SELECT statement");
  const prefix = input.keyPrefix;
  if (!isKeyPrefix(prefix)) throw new Error(`not a valid key prefix: ${JSON.stringify(prefix)}`);
  if (!Number.isInteger(input.maxFileSizeMb) || input.maxFileSizeMb < 5 || input.maxFileSizeMb > 6200) throw new RangeError("MAXFILESIZE must be 5..6200 MB");
  return [
    `UNLOAD (${quoteLiteral(query)})`,
    `TO ${quoteLiteral(`s3://${input.bucket}/${prefix}`)}`,
    `IAM_ROLE ${quoteLiteral(input.iamRoleArn)}`,
    ...formatOptions(input.format, input.delimiter, input.gzip ?? true),
    "MANIFEST VERBOSE",
    "ALLOWOVERWRITE",
    "PARALLEL ON",
    `MAXFILESIZE ${input.maxFileSizeMb} MB`,
  ].join("\n");
}


function checkTarget(t: RedshiftTarget): void {
  if (!t.database) throw new Error("RedshiftWarehouse: database is required");
  if (t.kind === "cluster") {
    if (!t.clusterIdentifier) throw new Error("RedshiftWarehouse: clusterIdentifier is required");
    if (!t.secretArn === !t.dbUser) throw new Error("RedshiftWarehouse: a provisioned cluster needs exactly one of secretArn or dbUser");
  } else if (!t.workgroupName) {
    throw new Error("RedshiftWarehouse: workgroupName is required");
  }
}

const RETRYABLE_SUBMIT = new Set([
  "ActiveStatementsExceededException",
  "ActiveSessionsExceededException",
  "DatabaseConnectionException",
  "ExecuteStatementException",
  "InternalServerException",
  "ThrottlingException",
]);

/** ExecuteStatement refusals: capacity and connection faults retry; validation, access and unknown targets fail. */
function submitError(err: unknown): BackendError {
  const name = awsErrorName(err);
  const message = `Redshift refused the statement: ${awsErrorMessage(err)}`.slice(0, MAX_MESSAGE);
  if (RETRYABLE_SUBMIT.has(name)) return new BackendError("warehouse_busy", message, true, { cause: err });
  if (name === "ValidationException" || name === "ResourceNotFoundException" || name === "AccessDeniedException") {
    return new BackendError("warehouse_rejected", message, false, { cause: err });
  }
  return new BackendError("warehouse_unavailable", message, isTransientAwsError(err), { cause: err });
}
