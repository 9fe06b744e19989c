/**
 * The export form's preview: what `POST /api/v1/exports` with the same body
 * would export — scoped, filtered and with the chosen columns exactly as the
 * worker's query — without recording or queueing anything. The warehouse
 * gives the first rows and, within a time budget, the exact row count; the
 * size is an estimate from the first rows.
 */
import { getDataset } from "../datasets/catalog";
import { selectColumns } from "../datasets/types";
import type { Actor } from "../core/actor";
import { ApiError, BackendError } from "../core/errors";
import type { QueryPreview } from "../ports";
import type { ExportDeps } from "./deps";
import { decimalMarkOf, type ExportFormat } from "./model";
import { prepareRequest } from "./service";
import { EXCEL_MAX_ROWS, sheetCount } from "../formats/xlsx";

/** Rows the preview shows (the form's table). */
export const PREVIEW_ROWS = 20;
/** How long the warehouse may take for the count before it is reported unknown. */
export const PREVIEW_BUDGET_MS = 3_000;
/** Above either, the form asks "are you sure?" before exporting. */
export const LARGE_EXPORT_ROWS = 5_000_000;
export const LARGE_EXPORT_BYTES = 2_000_000_000;

export interface ExportPreview {
  dataset: string;
  /** The export's columns, in order, with catalog types and descriptions. */
  columns: { name: string; type: string; description: string }[];
  /** The first rows, every value as text (null for NULL), in the export's order. */
  rows: (string | null)[][];
  count: QueryPreview["count"];
  /** Uncompressed size of the file(s), estimated from the first rows; null when the count is unknown or no rows came back. */
  estimatedBytes: number | null;
  /** Things to know before exporting: no rows, a very large result, several XLSX sheets. */
  warnings: { code: "no_rows" | "large" | "sheets" | "count_unknown"; message: string }[];
}

/** Validates `input` as `POST /api/v1/exports` would, then asks the warehouse for a preview. */
export async function previewExport(deps: ExportDeps, actor: Actor, input: unknown): Promise<ExportPreview> {
  const { record } = prepareRequest(deps, actor, input);
  const dataset = getDataset(record.dataset)!;
  // With the export's decimal mark: the rows shown are the file's, "12,50" in a semicolon CSV.
  const scope = record.supplierId === null ? ({ kind: "all" } as const) : ({ kind: "supplier", supplierId: record.supplierId } as const);
  const sql = dataset.buildQuery(record.params, scope, record.columns, { decimalMark: decimalMarkOf(record) });
  let preview: QueryPreview;
  try {
    preview = await deps.warehouse.preview({ sql, limit: PREVIEW_ROWS, budgetMs: PREVIEW_BUDGET_MS });
  } catch (err) {
    // Whatever the warehouse said goes to the log; the form gets words it can show.
    deps.log.warn({ err, dataset: record.dataset }, "preview failed");
    if (err instanceof BackendError && err.retryable) throw new ApiError("unavailable", "The preview is not available right now; you can still export.", undefined, { "Retry-After": "5" });
    throw new ApiError("unavailable", "The preview could not be made for these filters; you can still export, or contact support if exporting fails too.");
  }
  const columns = selectColumns(dataset.columns, record.columns).map((c) => ({ name: c.name, type: c.type, description: c.description }));
  const estimatedBytes = estimateBytes(record.format, columns.map((c) => c.name), preview);
  return { dataset: dataset.id, columns, rows: preview.rows, count: preview.count, estimatedBytes, warnings: warningsOf(record.format, preview, estimatedBytes) };
}

/** Bytes per row of the first rows as the format writes them, times the count. */
function estimateBytes(format: ExportFormat, names: string[], p: QueryPreview): number | null {
  if (p.count.kind !== "exact") return null;
  if (p.count.rows === 0) return 0;
  if (p.rows.length === 0) return null;
  const csvLine = (r: (string | null)[]) => r.map((v) => (v === null ? "" : /[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v)).join(",").length + 1;
  const jsonLine = (r: (string | null)[]) => JSON.stringify(Object.fromEntries(names.map((n, i) => [n, r[i]]))).length + 1;
  const perRow = p.rows.reduce((n, r) => n + (format === "jsonl" ? jsonLine(r) : csvLine(r)), 0) / p.rows.length;
  // Parquet and XLSX are compressed formats: about a third and a half of the CSV on the demo data.
  const factor = format === "parquet" ? 0.35 : format === "xlsx" ? 0.5 : 1;
  return Math.round(perRow * p.count.rows * factor);
}

function warningsOf(format: ExportFormat, p: QueryPreview, bytes: number | null): ExportPreview["warnings"] {
  const out: ExportPreview["warnings"] = [];
  if (p.count.kind === "unknown") out.push({ code: "count_unknown", message: "The warehouse could not count the rows quickly; the export may be large." });
  else if (p.count.rows === 0) out.push({ code: "no_rows", message: "No rows match these filters: the export would be empty." });
  else {
    if (p.count.rows > LARGE_EXPORT_ROWS || (bytes ?? 0) > LARGE_EXPORT_BYTES) {
      out.push({ code: "large", message: `This is a large export (${p.count.rows.toLocaleString("en-US")} rows); it may take a while. Narrow the filters if you need less.` });
    }
    if (format === "xlsx" && p.count.rows > EXCEL_MAX_ROWS - 1) {
      out.push({
        code: "sheets",
        message: `Excel holds ${(EXCEL_MAX_ROWS - 1).toLocaleString("en-US")} rows per sheet: the workbook will have ${sheetCount(p.count.rows)} sheets.`,
      });
    }
  }
  return out;
}
