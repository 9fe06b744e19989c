/**
 * Response schemas of the API, for the OpenAPI document. Each is tied to the
 * TypeScript type the handlers return (`satisfies z.ZodType<…>`), so the
 * document cannot drift from what the routes send.
 */
import { z } from "zod";
import { EXPORT_STATUSES, STEP_NAMES, ZExportFormat, ZExportStatus, type ExportRecord, type ExportStep } from "../exports/model";
import type { ExportStats } from "../exports/stats";
import type { DatasetDescription } from "./datasets";

const nullableString = z.string().nullable();
const nullableInt = z.number().int().nullable();

export const ZExport = z
  .object({
    id: z.string(),
    supplierId: nullableString,
    requestedBy: z.string(),
    requesterEmail: z.string(),
    dataset: z.string(),
    params: z.record(z.string(), z.unknown()),
    format: ZExportFormat,
    bom: z.boolean(),
    notify: z.boolean(),
    status: ZExportStatus,
    createdAt: z.string(),
    updatedAt: z.string(),
    startedAt: nullableString,
    finishedAt: nullableString,
    attempts: z.number().int(),
    statementId: nullableString,
    rowCount: nullableInt,
    fileCount: nullableInt,
    archiveBytes: nullableInt,
    sha256: nullableString,
    archiveKey: nullableString,
    expiresAt: nullableString,
    errorCode: nullableString,
    errorMessage: nullableString,
    notifiedAt: nullableString,
    /** The schedule this export is a run of; null for exports requested by hand. */
    scheduleId: nullableString,
  }) satisfies z.ZodType<ExportRecord>;

export const ZExportStep = z.object({
  at: z.string(),
  step: z.enum(STEP_NAMES),
  detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
}) satisfies z.ZodType<ExportStep>;

export const ZExportPage = z.object({ items: z.array(ZExport), nextCursor: nullableString });

export const ZErrorBody = z.object({
  error: z.object({
    code: z.enum(["bad_request", "validation_failed", "unauthorized", "forbidden", "not_found", "conflict", "payload_too_large", "rate_limited", "unavailable", "internal"]),
    message: z.string(),
    details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});

export const ZDatasetDescription = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string(),
  columns: z.array(z.object({ name: z.string(), type: z.string(), description: z.string() })),
  params: z.record(z.string(), z.unknown()).describe("JSON Schema (draft 2020-12) of this dataset's `params`."),
}) satisfies z.ZodType<DatasetDescription>;

export const ZExportStats = z.object({
  countsByStatus: z.record(z.enum(EXPORT_STATUSES), z.number().int()),
  durationSeconds: z.object({ p50: z.number().nullable(), p95: z.number().nullable() }),
  perDay: z.array(z.object({ day: z.string(), count: z.number().int() })),
  scanned: z.number().int(),
  truncated: z.boolean(),
}) satisfies z.ZodType<ExportStats>;

/** The Idempotency-Key header of POST /api/v1/exports. */
export const ZIdempotencyKey = z.string().regex(/^[\x20-\x7e]{1,255}$/).describe("1 to 255 printable ASCII characters; remembered for 24 hours, per supplier.");
