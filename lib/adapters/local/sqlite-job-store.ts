import type { Database } from "better-sqlite3";
import type { ArchiveLease, ExportPatch, JobStore, TransitionCondition } from "@/lib/ports";
import {
  decodeCursor,
  encodeCursor,
  IMMUTABLE_EXPORT_FIELDS,
  type ExportListQuery,
  type ExportRecord,
  type ExportStep,
  type Page,
} from "@/lib/exports/model";
import { ApiError } from "@/lib/core/errors";
import { DEFAULT_RECORD_RETENTION_DAYS, retentionChange, retentionOfRecord } from "../record-retention";

type FieldKind = "text" | "int" | "bool" | "json";

/**
 * Record field -> column. The only source of column names in SQL, so patch
 * keys can never inject SQL. Checked against the record's schema by
 * test/lib/exports/export-record.test.ts.
 */
export const EXPORT_COLUMNS = [
  ["id", "id", "text"],
  ["supplierId", "supplier_id", "text"],
  ["requestedBy", "requested_by", "text"],
  ["requesterEmail", "requester_email", "text"],
  ["dataset", "dataset", "text"],
  ["params", "params", "json"],
  ["format", "format", "text"],
  ["bom", "bom", "bool"],
  ["columns", "columns", "json"],
  ["delimiter", "delimiter", "text"],
  ["notify", "notify", "bool"],
  ["status", "status", "text"],
  ["createdAt", "created_at", "text"],
  ["updatedAt", "updated_at", "text"],
  ["startedAt", "started_at", "text"],
  ["finishedAt", "finished_at", "text"],
  ["attempts", "attempts", "int"],
  ["statementId", "statement_id", "text"],
  ["rowCount", "row_count", "int"],
  ["fileCount", "file_count", "int"],
  ["archiveBytes", "archive_bytes", "int"],
  ["sha256", "sha256", "text"],
  ["archiveKey", "archive_key", "text"],
  ["expiresAt", "expires_at", "text"],
  ["errorCode", "error_code", "text"],
  ["errorMessage", "error_message", "text"],
  ["notifiedAt", "notified_at", "text"],
  ["scheduleId", "schedule_id", "text"],
] as const satisfies ReadonlyArray<readonly [keyof ExportRecord, string, FieldKind]>;

const COLUMN = new Map<string, { column: string; kind: FieldKind }>(EXPORT_COLUMNS.map(([f, column, kind]) => [f, { column, kind }]));

const IMMUTABLE = new Set<string>(IMMUTABLE_EXPORT_FIELDS);

const UNSET_COLUMN: Record<NonNullable<TransitionCondition["unset"]>[number], string> = {
  notifiedAt: "notified_at",
  statementId: "statement_id",
};

type SqlValue = string | number | null;
type Row = Record<string, SqlValue>;

const EXPORTS = "pe_exports";
const STEPS = "pe_export_steps";
const LEASES = "pe_archive_leases";

/** Finished records deleted per write, at most: forgetting is spread over writes instead of run by a sweeper. */
const PURGE_BATCH = 20;

export interface SqliteJobStoreOptions {
  /** How long a finished record is kept (lib/adapters/record-retention.ts); default 90 days, as on DynamoDB. */
  recordRetentionDays?: number;
}

/**
 * Job state for local mode, in the SQLite file the web process and the worker share.
 * Every read-then-write runs in a `BEGIN IMMEDIATE` transaction, so the write lock is
 * taken before the read and the compare-and-set cannot interleave with another process.
 *
 * Finished records of every status are forgotten after the record retention, as
 * DynamoDB's TTL does in aws mode: `purge_after` (epoch seconds) holds the same
 * instant as the TTL attribute there, and each new export deletes a few records
 * that are due, with their steps.
 */
export class SqliteJobStore implements JobStore {
  private readonly retentionSeconds: number;

  constructor(
    private readonly db: Database,
    opts: SqliteJobStoreOptions = {},
  ) {
    const days = opts.recordRetentionDays ?? DEFAULT_RECORD_RETENTION_DAYS;
    if (!Number.isFinite(days) || days < 0) throw new RangeError("recordRetentionDays must be >= 0");
    this.retentionSeconds = Math.round(days * 86_400);
    const cols = EXPORT_COLUMNS.map(([, column, kind]) => {
      if (column === "id") return "id TEXT PRIMARY KEY";
      return `${column} ${kind === "int" || kind === "bool" ? "INTEGER" : "TEXT"}`;
    }).join(",\n  ");
    db.exec(`
      CREATE TABLE IF NOT EXISTS ${EXPORTS} (
        ${cols}
      );
      -- A supplier's history and the admin list are both newest-first index scans.
      CREATE INDEX IF NOT EXISTS ${EXPORTS}_supplier_created ON ${EXPORTS} (supplier_id, created_at DESC, id DESC);
      CREATE INDEX IF NOT EXISTS ${EXPORTS}_created ON ${EXPORTS} (created_at DESC, id DESC);
      -- The admin list is mostly filtered by status ("failed", "running").
      CREATE INDEX IF NOT EXISTS ${EXPORTS}_status_created ON ${EXPORTS} (status, created_at DESC, id DESC);
      CREATE INDEX IF NOT EXISTS ${EXPORTS}_status_expires ON ${EXPORTS} (status, expires_at);
      CREATE INDEX IF NOT EXISTS ${EXPORTS}_status_updated ON ${EXPORTS} (status, updated_at);
      CREATE TABLE IF NOT EXISTS ${STEPS} (
        export_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        at TEXT NOT NULL,
        step TEXT NOT NULL,
        detail TEXT NOT NULL,
        PRIMARY KEY (export_id, seq)
      );
      -- The step history is an audit trail: refuse edits at the storage level too.
      CREATE TRIGGER IF NOT EXISTS ${STEPS}_no_update BEFORE UPDATE ON ${STEPS}
        BEGIN SELECT RAISE(ABORT, 'export steps are append-only'); END;
      -- ... except that the history goes with its record once the record is forgotten (purge).
      DROP TRIGGER IF EXISTS ${STEPS}_no_delete;
      CREATE TRIGGER ${STEPS}_no_delete BEFORE DELETE ON ${STEPS}
        WHEN EXISTS (SELECT 1 FROM ${EXPORTS} WHERE id = OLD.export_id)
        BEGIN SELECT RAISE(ABORT, 'export steps are append-only'); END;
      -- The archive step's lease and progress: its own table, written every few seconds while archiving.
      CREATE TABLE IF NOT EXISTS ${LEASES} (
        export_id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        bytes_done INTEGER NOT NULL,
        bytes_total INTEGER NOT NULL,
        updated_at TEXT NOT NULL,
        upload_id TEXT,
        checkpoint TEXT
      );
    `);
    // A lease table from before the resumable archive: add its columns.
    const leaseColumns = new Set((db.prepare(`PRAGMA table_info(${LEASES})`).all() as { name: string }[]).map((c) => c.name));
    for (const column of ["upload_id", "checkpoint"]) if (!leaseColumns.has(column)) db.exec(`ALTER TABLE ${LEASES} ADD COLUMN ${column} TEXT`);
    // A .data folder from before a field existed: add its column (null in old rows) rather than fail on first write.
    const present = new Set((db.prepare(`PRAGMA table_info(${EXPORTS})`).all() as { name: string }[]).map((c) => c.name));
    for (const [, column, kind] of EXPORT_COLUMNS) {
      if (!present.has(column)) db.exec(`ALTER TABLE ${EXPORTS} ADD COLUMN ${column} ${kind === "int" || kind === "bool" ? "INTEGER" : "TEXT"}`);
    }
    // Files made before records expired have no purge_after column yet.
    const columns = db.prepare(`PRAGMA table_info(${EXPORTS})`).all() as Array<{ name: string }>;
    if (!columns.some((c) => c.name === "purge_after")) {
      db.exec(`ALTER TABLE ${EXPORTS} ADD COLUMN purge_after INTEGER`);
      // Records already finished get their instant now, so they expire like new ones.
      const finished = db.prepare(`SELECT * FROM ${EXPORTS}`).all() as Row[];
      const set = db.prepare(`UPDATE ${EXPORTS} SET purge_after = ? WHERE id = ?`);
      for (const row of finished) set.run(retentionOfRecord(fromRow(row), this.retentionSeconds), row.id);
    }
    db.exec(`CREATE INDEX IF NOT EXISTS ${EXPORTS}_purge_after ON ${EXPORTS} (purge_after) WHERE purge_after IS NOT NULL`);
  }

  async createExport(record: ExportRecord, steps: ExportStep[]): Promise<void> {
    const names = [...EXPORT_COLUMNS.map(([, column]) => column), "purge_after"];
    const insert = this.db.prepare(
      `INSERT INTO ${EXPORTS} (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")})`,
    );
    const values = [...EXPORT_COLUMNS.map(([field, , kind]) => toSql(kind, record[field])), retentionOfRecord(record, this.retentionSeconds)];
    this.db
      .transaction(() => {
        this.purgeDue(Math.floor(Date.parse(record.createdAt) / 1000));
        try {
          insert.run(values);
        } catch (err) {
          if (isSqliteError(err, "SQLITE_CONSTRAINT_PRIMARYKEY")) {
            throw new ApiError("conflict", `Export ${record.id} already exists.`);
          }
          throw err;
        }
        this.insertSteps(record.id, steps);
      })
      .immediate();
  }

  async getExport(id: string): Promise<ExportRecord | null> {
    const row = this.db.prepare(`SELECT * FROM ${EXPORTS} WHERE id = ?`).get(id) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  async transition(
    id: string,
    cond: TransitionCondition,
    patch: ExportPatch,
    steps: ExportStep[] = [],
  ): Promise<ExportRecord | null> {
    if (cond.status.length === 0) return null;
    const sets: string[] = [];
    const values: SqlValue[] = [];
    for (const [field, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      const col = COLUMN.get(field);
      if (!col || IMMUTABLE.has(field)) throw new Error(`transition: field ${field} cannot be patched`);
      sets.push(`${col.column} = ?`);
      values.push(toSql(col.kind, value));
    }
    const purge = retentionChange(patch, this.retentionSeconds);
    if (purge.kind === "remove") sets.push("purge_after = NULL");
    if (purge.kind === "set" || purge.kind === "set-if-absent") {
      sets.push(purge.kind === "set" ? "purge_after = ?" : "purge_after = COALESCE(purge_after, ?)");
      values.push(purge.at);
    }
    // An empty patch still has to test the condition (and may append steps).
    if (sets.length === 0) sets.push("status = status");
    const where = [`id = ?`, `status IN (${cond.status.map(() => "?").join(", ")})`];
    for (const field of cond.unset ?? []) where.push(`${UNSET_COLUMN[field]} IS NULL`);
    const update = this.db.prepare(`UPDATE ${EXPORTS} SET ${sets.join(", ")} WHERE ${where.join(" AND ")}`);
    const select = this.db.prepare(`SELECT * FROM ${EXPORTS} WHERE id = ?`);

    return this.db
      .transaction((): ExportRecord | null => {
        const { changes } = update.run(...values, id, ...cond.status);
        if (changes === 0) return null;
        this.insertSteps(id, steps);
        return fromRow(select.get(id) as Row);
      })
      .immediate();
  }

  async appendSteps(id: string, steps: ExportStep[]): Promise<void> {
    const exists = this.db.prepare(`SELECT 1 FROM ${EXPORTS} WHERE id = ?`);
    this.db
      .transaction(() => {
        // Steps of an unknown export would be an orphaned history nobody can see.
        if (!exists.get(id)) throw new ApiError("not_found", `Export ${id} does not exist.`);
        this.insertSteps(id, steps);
      })
      .immediate();
  }

  async listSteps(id: string): Promise<ExportStep[]> {
    const rows = this.db
      .prepare(`SELECT at, step, detail FROM ${STEPS} WHERE export_id = ? ORDER BY seq`)
      .all(id) as Array<{ at: string; step: ExportStep["step"]; detail: string }>;
    return rows.map((r) => ({ at: r.at, step: r.step, detail: JSON.parse(r.detail) as ExportStep["detail"] }));
  }

  async listExports(query: ExportListQuery): Promise<Page<ExportRecord>> {
    const { limit } = query;
    if (!Number.isInteger(limit) || limit < 1) throw new ApiError("bad_request", "limit must be a positive integer.");
    const where: string[] = [];
    const values: SqlValue[] = [];
    if (query.supplierId !== undefined) {
      where.push("supplier_id = ?");
      values.push(query.supplierId);
    }
    if (query.status !== undefined) {
      where.push("status = ?");
      values.push(query.status);
    }
    if (query.dataset !== undefined) {
      where.push("dataset = ?");
      values.push(query.dataset);
    }
    if (query.requesterEmail !== undefined) {
      where.push("lower(requester_email) = ?");
      values.push(query.requesterEmail.toLowerCase());
    }
    if (query.from !== undefined) {
      where.push("created_at >= ?");
      values.push(query.from);
    }
    if (query.to !== undefined) {
      where.push("created_at < ?");
      values.push(query.to);
    }
    if (query.cursor !== undefined) {
      const after = decodeCursor(query.cursor);
      if (!after) throw new ApiError("bad_request", "The cursor is malformed; start again from the first page.");
      // Row-value comparison keeps the index usable for the keyset seek.
      where.push("(created_at, id) < (?, ?)");
      values.push(after.createdAt, after.id);
    }
    const sql =
      `SELECT * FROM ${EXPORTS}` +
      (where.length ? ` WHERE ${where.join(" AND ")}` : "") +
      ` ORDER BY created_at DESC, id DESC LIMIT ?`;
    // One extra row tells whether another page exists without a second query.
    const rows = this.db.prepare(sql).all(...values, limit + 1) as Row[];
    const items = rows.slice(0, limit).map(fromRow);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
  }

  async listExpiredReady(now: string, limit: number): Promise<ExportRecord[]> {
    const rows = this.db
      .prepare(
        `SELECT * FROM ${EXPORTS} WHERE status = 'ready' AND expires_at IS NOT NULL AND expires_at < ?
         ORDER BY expires_at ASC, id ASC LIMIT ?`,
      )
      .all(now, limit) as Row[];
    return rows.map(fromRow);
  }

  async listQueuedBefore(before: string, limit: number): Promise<ExportRecord[]> {
    const rows = this.db
      .prepare(`SELECT * FROM ${EXPORTS} WHERE status = 'queued' AND updated_at < ? ORDER BY updated_at ASC, id ASC LIMIT ?`)
      .all(before, limit) as Row[];
    return rows.map(fromRow);
  }

  async putArchiveLease(lease: ArchiveLease, now: string): Promise<boolean> {
    // One statement: the upsert's WHERE is the condition, so it cannot interleave with another process's.
    const result = this.db
      .prepare(
        `INSERT INTO ${LEASES} (export_id, owner, expires_at, bytes_done, bytes_total, updated_at, upload_id, checkpoint) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (export_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at,
           bytes_done = excluded.bytes_done, bytes_total = excluded.bytes_total, updated_at = excluded.updated_at,
           upload_id = excluded.upload_id, checkpoint = excluded.checkpoint
         WHERE ${LEASES}.owner = excluded.owner OR ${LEASES}.expires_at <= ?`,
      )
      .run(lease.exportId, lease.owner, lease.expiresAt, lease.bytesDone, lease.bytesTotal, lease.updatedAt, lease.uploadId ?? null, lease.checkpoint ?? null, now);
    return result.changes === 1;
  }

  async getArchiveLease(exportId: string): Promise<ArchiveLease | null> {
    const row = this.db
      .prepare(`SELECT export_id, owner, expires_at, bytes_done, bytes_total, updated_at, upload_id, checkpoint FROM ${LEASES} WHERE export_id = ?`)
      .get(exportId) as
      | { export_id: string; owner: string; expires_at: string; bytes_done: number; bytes_total: number; updated_at: string; upload_id: string | null; checkpoint: string | null }
      | undefined;
    if (!row) return null;
    return {
      exportId: row.export_id,
      owner: row.owner,
      expiresAt: row.expires_at,
      bytesDone: row.bytes_done,
      bytesTotal: row.bytes_total,
      updatedAt: row.updated_at,
      uploadId: row.upload_id,
      checkpoint: row.checkpoint,
    };
  }

  async deleteArchiveLease(exportId: string): Promise<void> {
    this.db.prepare(`DELETE FROM ${LEASES} WHERE export_id = ?`).run(exportId);
  }

  async countActive(supplierId: string): Promise<number> {
    const { n } = this.db
      .prepare(`SELECT COUNT(*) AS n FROM ${EXPORTS} WHERE supplier_id = ? AND status IN ('queued', 'running', 'archiving')`)
      .get(supplierId) as { n: number };
    return n;
  }

  /** Appends after the export's last step; callers hold the write lock, so seq cannot collide. */
  /** Deletes up to PURGE_BATCH records (and their steps) whose retention ended before `nowSeconds`. Call inside a write transaction. */
  private purgeDue(nowSeconds: number): void {
    const due = this.db
      .prepare(`SELECT id FROM ${EXPORTS} WHERE purge_after IS NOT NULL AND purge_after < ? ORDER BY purge_after LIMIT ?`)
      .all(nowSeconds, PURGE_BATCH) as Array<{ id: string }>;
    const dropRecord = this.db.prepare(`DELETE FROM ${EXPORTS} WHERE id = ?`);
    const dropSteps = this.db.prepare(`DELETE FROM ${STEPS} WHERE export_id = ?`);
    for (const { id } of due) {
      dropRecord.run(id);
      dropSteps.run(id);
    }
  }

  private insertSteps(id: string, steps: readonly ExportStep[]): void {
    if (steps.length === 0) return;
    const { last } = this.db
      .prepare(`SELECT COALESCE(MAX(seq), 0) AS last FROM ${STEPS} WHERE export_id = ?`)
      .get(id) as { last: number };
    const insert = this.db.prepare(`INSERT INTO ${STEPS} (export_id, seq, at, step, detail) VALUES (?, ?, ?, ?, ?)`);
    steps.forEach((s, i) => insert.run(id, last + i + 1, s.at, s.step, JSON.stringify(s.detail)));
  }
}

function toSql(kind: FieldKind, value: unknown): SqlValue {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case "bool":
      return value ? 1 : 0;
    case "json":
      return JSON.stringify(value);
    case "int":
      if (typeof value !== "number" || !Number.isFinite(value)) throw new TypeError(`expected a number, got ${String(value)}`);
      return value;
    case "text":
      if (typeof value !== "string") throw new TypeError(`expected a string, got ${String(value)}`);
      return value;
  }
}

function fromRow(row: Row): ExportRecord {
  const out: Record<string, unknown> = {};
  for (const [field, column, kind] of EXPORT_COLUMNS) {
    const v = row[column] ?? null;
    if (v === null) out[field] = null;
    else if (kind === "bool") out[field] = v === 1;
    else if (kind === "json") out[field] = JSON.parse(String(v));
    else out[field] = v;
  }
  return out as unknown as ExportRecord;
}

function isSqliteError(err: unknown, code: string): boolean {
  return err instanceof Error && (err as Error & { code?: unknown }).code === code;
}
