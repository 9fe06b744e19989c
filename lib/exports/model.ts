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

export const ZExportFormat = z.enum(["csv", "parquet"]);
export type ExportFormat = z.infer<typeof ZExportFormat>;

export interface ExportRecord {
  id: string;
  /** The supplier whose data this is; null only for an admin's all-suppliers export. */
  supplierId: string | null;
  /** User id of who asked for it. */
  requestedBy: string;
  /** Where the "ready"/"failed" email goes (when `notify`). */
  requesterEmail: string;
  dataset: string;
  /** Filter values, already validated by the dataset's schema. */
  params: Record<string, unknown>;
  format: ExportFormat;
  /** CSV only: start each file with a UTF-8 byte-order mark so Excel reads accents right. */
  bom: boolean;
  notify: boolean;
  status: ExportStatus;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Worker deliveries that started work on it (1 on a clean run). */
  attempts: number;
  /** The warehouse statement currently or last run for it. */
  statementId: string | null;
  rowCount: number | null;
  fileCount: number | null;
  archiveBytes: number | null;
  sha256: string | null;
  archiveKey: string | null;
  expiresAt: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  notifiedAt: string | null;
  /** The schedule whose run this is (lib/schedules); null for exports requested by hand. */
  scheduleId: string | null;
}

export const STEP_NAMES = [
  "requested",
  "queued",
  "started",
  "query_submitted",
  "query_finished",
  "archived",
  "ready",
  "notified",
  "retrying",
  "failed",
  "cancelled",
  "retried",
  "expired",
] as const;
export type StepName = (typeof STEP_NAMES)[number];

/** One line of an export's append-only history. */
export interface ExportStep {
  at: string;
  step: StepName;
  detail: Record<string, string | number | boolean | null>;
}

export interface ExportListQuery {
  /** Undefined: every supplier (admin lists only). */
  supplierId?: string;
  status?: ExportStatus;
  dataset?: string;
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
>;

/** A new queued export: every field the worker fills in later starts null. `overrides` is for tests that need a later state. */
export function newExportRecord(fields: NewExportFields, overrides: Partial<ExportRecord> = {}): ExportRecord {
  return {
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
