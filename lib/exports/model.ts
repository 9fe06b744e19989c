/**
 * The export record, its step history and the list query: the vocabulary
 * shared by the domain, the ports and both adapters.
 */
import { z } from "zod";

export const EXPORT_STATUSES = ["queued", "running", "archiving", "ready", "expired", "failed", "cancelled"] as const;
export const ZExportStatus = z.enum(EXPORT_STATUSES);
export type ExportStatus = z.infer<typeof ZExportStatus>;

/** Statuses an export never leaves on its own (only an admin retry moves `failed` on). */
export const FINISHED_STATUSES: readonly ExportStatus[] = ["ready", "expired", "failed", "cancelled"];
/** Statuses in which a worker is (or will be) busy with the export. */
export const ACTIVE_STATUSES: readonly ExportStatus[] = ["queued", "running", "archiving"];

/**
 * File formats a supplier can ask for. `jsonl` is one JSON object per line;
 * `xlsx` is written by the worker from CSV parts (no warehouse unloads XLSX).
 */
export const ZExportFormat = z.enum(["csv", "jsonl", "parquet", "xlsx"]);
export type ExportFormat = z.infer<typeof ZExportFormat>;

/** CSV field separators: comma, and semicolon / tab for spreadsheets whose locale uses the comma as decimal mark. */
export const CSV_DELIMITERS = [",", ";", "\t"] as const;
export const ZCsvDelimiter = z.enum(CSV_DELIMITERS);
export type CsvDelimiter = z.infer<typeof ZCsvDelimiter>;

/**
 * The decimal mark an export's numbers are written with: a comma in a
 * semicolon CSV (a Dutch or German Excel expects both together, and reads
 * "12.50" there as text or a date), a dot everywhere else.
 */
export function decimalMarkOf(rec: { format: string; delimiter?: CsvDelimiter | null }): "." | "," {
  return rec.format === "csv" && rec.delimiter === ";" ? "," : ".";
}

/**
 * The export record, defined once: the type is inferred from this schema, the
 * API's response schema is this schema, and the SQLite column map and the
 * DynamoDB attribute list are checked against its keys
 * (test/lib/exports/export-record.test.ts).
 */
export const ZExportRecord = z.object({
  id: z.string(),
  /** The supplier whose data this is; null only for an admin's all-suppliers export. */
  supplierId: z.string().nullable(),
  /** User id of who asked for it. */
  requestedBy: z.string(),
  /** Where the "ready"/"failed" email goes (when `notify`). */
  requesterEmail: z.string(),
  dataset: z.string(),
  /** Filter values, already validated by the dataset's schema. */
  params: z.record(z.string(), z.unknown()),
  format: ZExportFormat,
  /** CSV only: start each file with a UTF-8 byte-order mark so Excel reads accents right. */
  bom: z.boolean(),
  /** Output columns in the order asked for (names from the dataset's catalog); null: all, in catalog order. */
  columns: z.array(z.string()).nullable(),
  /** CSV only: the field separator (`,` for every other format); null on records from before it existed (read as `,`). */
  delimiter: ZCsvDelimiter.nullable(),
  notify: z.boolean(),
  status: ZExportStatus,
  createdAt: z.string(),
  updatedAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  /** Worker deliveries that started work on it (1 on a clean run). */
  attempts: z.number().int(),
  /** The warehouse statement currently or last run for it. */
  statementId: z.string().nullable(),
  rowCount: z.number().int().nullable(),
  fileCount: z.number().int().nullable(),
  archiveBytes: z.number().int().nullable(),
  sha256: z.string().nullable(),
  archiveKey: z.string().nullable(),
  expiresAt: z.string().nullable(),
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  notifiedAt: z.string().nullable(),
  /** The schedule whose run this is (lib/schedules); null for exports requested by hand. */
  scheduleId: z.string().nullable(),
});
export type ExportRecord = z.infer<typeof ZExportRecord>;

/** Every field of the record, in schema order. */
export const EXPORT_FIELDS = ZExportRecord.keyof().options;

/** Fields fixed at creation: both job stores refuse a patch that names one (a programming error, not a silent no-op). */
export const IMMUTABLE_EXPORT_FIELDS = ["id", "supplierId", "requestedBy", "dataset", "params", "format", "columns", "delimiter", "createdAt", "scheduleId"] as const satisfies readonly (keyof ExportRecord)[];
export type ImmutableExportField = (typeof IMMUTABLE_EXPORT_FIELDS)[number];

export const STEP_NAMES = [
  "requested",
  "queued",
  "started",
  "query_submitted",
  "query_finished",
  "archived",
  "archive_continued",
  "ready",
  "notified",
  "retrying",
  "failed",
  "cancelled",
  "retried",
  "expired",
] as const;

/** One line of an export's append-only history. */
export const ZExportStep = z.object({
  at: z.string(),
  step: z.enum(STEP_NAMES),
  detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
});
export type ExportStep = z.infer<typeof ZExportStep>;

/** Where an export stands, in words for people (lib/exports/outcome.ts makes it). */
export const ZExportSummary = z.object({
  phase: z.enum(["queued", "queued_long", "running", "retry_wait", "archiving", "ready", "no_rows", "failed", "cancelled", "expired"]),
  message: z.string().describe("Where the export stands, in words for people."),
  retry: z.object({ at: z.string(), attempt: z.number().int(), of: z.number().int() }).optional(),
  progress: z.object({ bytesDone: z.number().int(), bytesTotal: z.number().int() }).optional(),
});

/** One export and its step history, as GET /api/v1/exports/{id} returns it and the detail page shows it. */
/** While an export is archiving: bytes of its unloaded parts read into the archive so far, and in all. */
export const ZArchiveProgress = z.object({ bytesDone: z.number().int().nonnegative(), bytesTotal: z.number().int().nonnegative() });

export const ZExportView = z.object({ export: ZExportRecord, steps: z.array(ZExportStep), summary: ZExportSummary, archiveProgress: ZArchiveProgress.nullable() });
export type ExportView = z.infer<typeof ZExportView>;

export interface ExportListQuery {
  /** Undefined: every supplier (admin lists only). */
  supplierId?: string;
  status?: ExportStatus;
  dataset?: string;
  /** Only exports requested by this address (compared in lower case; addresses are stored as typed at sign-up, lower-cased). */
  requesterEmail?: string;
  /** createdAt >= from (ISO timestamp). */
  from?: string;
  /** createdAt < to (ISO timestamp). */
  to?: string;
  cursor?: string;
  limit: number;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Opaque pagination cursor: the sort key of the last item returned. */
export function encodeCursor(item: { createdAt: string; id: string }): string {
  return Buffer.from(JSON.stringify([item.createdAt, item.id])).toString("base64url");
}

export function decodeCursor(cursor: string): { createdAt: string; id: string } | null {
  try {
    const v = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === "string" && typeof v[1] === "string") {
      return { createdAt: v[0], id: v[1] };
    }
  } catch {
    /* fall through */
  }
  return null;
}

/** What a caller decides about a new export; everything else starts empty. */
export type NewExportFields = Pick<
  ExportRecord,
  "id" | "supplierId" | "requestedBy" | "requesterEmail" | "dataset" | "params" | "format" | "bom" | "notify" | "createdAt"
> &
  Partial<Pick<ExportRecord, "columns" | "delimiter">>;

/** A new queued export: every field the worker fills in later starts null. `overrides` is for tests that need a later state. */
export function newExportRecord(fields: NewExportFields, overrides: Partial<ExportRecord> = {}): ExportRecord {
  return {
    columns: null,
    delimiter: ",",
    ...fields,
    status: "queued",
    updatedAt: fields.createdAt,
    startedAt: null,
    finishedAt: null,
    attempts: 0,
    statementId: null,
    rowCount: null,
    fileCount: null,
    archiveBytes: null,
    sha256: null,
    archiveKey: null,
    expiresAt: null,
    errorCode: null,
    errorMessage: null,
    notifiedAt: null,
    scheduleId: null,
    ...overrides,
  };
}
