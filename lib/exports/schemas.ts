/**
 * Request schemas of the export API, shared by route handlers, the OpenAPI
 * document and the service (which re-validates whatever it is given).
 */
import { z } from "zod";
import { EXPORT_STATUSES, ZCsvDelimiter, ZExportFormat } from "./model";

const ZSupplierId = z.string().regex(/^[a-z0-9_]{1,40}$/, "Supplier ids are lower-case letters, digits and _.");

export const ZCreateExportRequest = z
  .object({
    dataset: z.string().min(1).max(64),
    params: z.record(z.string(), z.unknown()).default({}),
    format: ZExportFormat.default("csv").describe(
      "`csv`, `jsonl` (one JSON object per line), `parquet`, or `xlsx` (one workbook; over 1,048,576 rows per sheet the rows continue on further sheets).",
    ),
    /** Output columns, in this order: names from the dataset's `columns`. Omitted: all of them, in catalog order. */
    columns: z
      .array(z.string().max(64))
      .min(1, "Choose at least one column, or leave `columns` out for all of them.")
      .max(200)
      .optional()
      .describe("Output columns in the order wanted, by name (see GET /api/v1/datasets). Omitted: every column."),
    /** CSV only: the field separator. Semicolon or tab for spreadsheets whose decimal mark is the comma. */
    delimiter: ZCsvDelimiter.optional().describe('CSV only: "," (default), ";" or "\\t" (tab; the files are then named .tsv). With ";", decimal numbers are written with a decimal comma (12,50), in the preview too.'),
    /** CSV only: add a UTF-8 byte-order mark so Excel shows accents right. Default on for CSV; other formats refuse it. */
    bom: z.boolean().optional().describe("CSV only: start each file with a UTF-8 byte-order mark (Excel needs it for accents). Default true for CSV."),
    /** Email the requester when the export is ready or has failed. */
    notify: z.boolean().default(true),
    /** Admins only: whose data (omitted: every supplier). A supplier sending it is refused. */
    supplierId: ZSupplierId.optional(),
  })
  .strict();
export type TCreateExportRequest = z.input<typeof ZCreateExportRequest>;

const ZIsoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$/, "Use a date like 2026-11-27.")
  .refine((s) => !Number.isNaN(Date.parse(s)), "Not a real date.");

/** Query string of the history and admin lists (all strings, as they come from a URL). */
export const ZListExportsQuery = z
  .object({
    status: z.enum(EXPORT_STATUSES).optional(),
    dataset: z.string().regex(/^[a-z0-9_]{1,64}$/).optional(),
    from: ZIsoDate.optional(),
    to: ZIsoDate.optional(),
    cursor: z.string().max(512).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    supplierId: ZSupplierId.optional(),
    /** Admins: an export id, a requester's email address or a supplier id. */
    q: z.string().trim().min(1).max(200).optional().describe("Admins only: an export id (exp_...), a requester's email address, or a supplier id."),
  })
  .strict();

/** The last instant an ISO string with a four-digit year can name; job stores compare ISO strings. */
const LAST_ISO_MS = Date.parse("9999-12-31T23:59:59.999Z");

/**
 * The list filters' dates as the job store compares them: ISO timestamps, with
 * a bare date as `to` meaning the whole of that day (people read "to 27 Nov" as inclusive).
 * An end past year 9999 is no bound at all: `new Date(...).toISOString()` would
 * write it as `+010000-...`, which sorts before every real date as a string and
 * matched nothing (issue 12, finding 12).
 */
export function createdAtRange(q: { from?: string; to?: string }): { from?: string; to?: string } {
  if ((q.from && Number.isNaN(Date.parse(q.from))) || (q.to && Number.isNaN(Date.parse(q.to)))) return {};
  const end = q.to ? (q.to.length === 10 ? Date.parse(q.to) + 86_400_000 : Date.parse(q.to)) : undefined;
  return {
    from: q.from ? new Date(q.from).toISOString() : undefined,
    to: end === undefined || end > LAST_ISO_MS ? undefined : new Date(end).toISOString(),
  };
}
