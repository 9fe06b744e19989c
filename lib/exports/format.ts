import type { ExportRecord } from "./model";

/** Sizes for people, in decimal units (1 MB = 1,000,000 bytes). Pure: safe in emails and browser bundles alike. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** How the file is laid out, as the form offers it: the export page and the emails say it the same way. */
export function describeFormat(record: Pick<ExportRecord, "format" | "delimiter" | "bom">): string {
  switch (record.format) {
    case "csv": {
      const sep = record.delimiter === ";" ? "semicolons" : record.delimiter === "\t" ? "tabs" : "commas";
      return `CSV, separated by ${sep}${record.bom ? ", with byte-order mark" : ""}`;
    }
    case "jsonl":
      return "JSON Lines";
    case "parquet":
      return "Parquet";
    case "xlsx":
      return "Excel workbook (XLSX)";
  }
}
