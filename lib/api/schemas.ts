/**
 * Response schemas of the API, for the OpenAPI document. The export record
 * and its steps are the model's own schemas (the types are inferred from
 * them); the others are tied to the TypeScript type the handlers return
 * (`satisfies z.ZodType<…>`), so the document cannot drift from what the routes send.
 */
import { z } from "zod";
import { ERROR_CODES } from "../core/errors";
import { EXPORT_STATUSES, ZExportRecord, ZExportStep, ZExportSummary, ZExportView } from "../exports/model";
import type { ExportStats } from "../exports/stats";
import type { ExportPreview } from "../exports/preview";
import type { DatasetDescription } from "./datasets";

const nullableString = z.string().nullable();

/** The API shows the export record as it is stored: its schema is the record's (lib/exports/model.ts). */
export const ZExport = ZExportRecord;
export { ZExportStep, ZExportSummary, ZExportView };


export const ZExportPreview = z.object({
  dataset: z.string(),
  columns: z.array(z.object({ name: z.string(), type: z.string(), description: z.string() })),
  rows: z.array(z.array(z.string().nullable())).describe("The first rows (up to 20) in the export's order, every value as text; null is NULL."),
  count: z.union([z.object({ kind: z.literal("exact"), rows: z.number().int() }), z.object({ kind: z.literal("unknown") })]),
  estimatedBytes: z.number().int().nullable().describe("Uncompressed size estimated from the first rows; null when the count is unknown."),
  warnings: z.array(z.object({ code: z.enum(["no_rows", "large", "sheets", "count_unknown"]), message: z.string() })),
}) satisfies z.ZodType<ExportPreview>;

export const ZParamOptions = z.object({ param: z.string(), values: z.array(z.string()), truncated: z.boolean() });

export const ZExportPage = z.object({ items: z.array(ZExport), nextCursor: nullableString });

export const ZErrorBody = z.object({
  error: z.object({
    code: z.enum(ERROR_CODES),
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
  paramOptions: z.array(z.string()).describe("Filters whose values GET /api/v1/datasets/{id}/options/{param} lists."),
  changeColumn: z
    .string()
    .nullable()
    .describe("The column incremental schedules window on (rows changed since the last delivered run); null: the dataset is always exported whole."),
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
