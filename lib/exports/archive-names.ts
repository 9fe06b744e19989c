/** Names of an export's objects and archive entries, and its step records: shared by both archive paths. */
import type { ExportDeps } from "./deps";
import type { ExportRecord, ExportStep } from "./model";

export const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Where the warehouse writes the export's parts (and its manifest). */
export function unloadPrefix(exportId: string): string {
  return `unload/${exportId}/`;
}

export function archiveKeyOf(record: ExportRecord): string {
  return `archives/${record.supplierId ?? "all"}/${record.id}.zip`;
}

const EXTENSION: Record<ExportRecord["format"], string> = { csv: "csv", jsonl: "jsonl", parquet: "parquet", xlsx: "xlsx" };

/** `product_inventory.csv` for one part; `product_inventory_part_001.csv`... for several (`.tsv` when tab-separated). */
export function entryName(rec: ExportRecord, index: number, total: number): string {
  const ext = rec.format === "csv" && rec.delimiter === "\t" ? "tsv" : EXTENSION[rec.format];
  if (total === 1) return `${rec.dataset}.${ext}`;
  const width = Math.max(3, String(total).length);
  return `${rec.dataset}_part_${String(index + 1).padStart(width, "0")}.${ext}`;
}

export function step(deps: ExportDeps, name: ExportStep["step"], detail: ExportStep["detail"] = {}): ExportStep {
  return { at: deps.now().toISOString(), step: name, detail };
}
