/** Reading a downloaded export: its entries and CSV rows. */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

/** Entry names of the zip (`unzip -Z1`). */
export function zipEntries(zipPath: string): string[] {
  return execFileSync("unzip", ["-Z1", zipPath], { encoding: "utf8" })
    .split("\n")
    .filter((l) => l.length > 0);
}

/** Extracts the zip into `dir` and returns the files' paths. */
export function unzipTo(zipPath: string, dir: string): string[] {
  fs.mkdirSync(dir, { recursive: true });
  execFileSync("unzip", ["-q", "-o", zipPath, "-d", dir]);
  return zipEntries(zipPath).map((e) => path.join(dir, e));
}

/** RFC 4180 CSV (quoted fields with "" escapes and newlines inside quotes); a leading BOM is dropped. */
export function parseCsv(text: string, delimiter = ","): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === delimiter) {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += c;
  }
  if (field.length > 0 || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** The CSV files' rows as objects keyed by the header. */
export function readCsvRecords(files: string[]): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const f of files) {
    const [header, ...rows] = parseCsv(fs.readFileSync(f, "utf8"));
    for (const r of rows) out.push(Object.fromEntries(header.map((h, i) => [h, r[i]])));
  }
  return out;
}
