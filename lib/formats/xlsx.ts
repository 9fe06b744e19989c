/**
 * XLSX from the warehouse's CSV parts, as a stream with flat memory. No
 * warehouse unloads XLSX (Redshift cannot), so the archive step turns the CSV
 * parts into one workbook on the fly: rows are read one at a time from the
 * parts, written as sheet XML, and deflated by the project's zip writer into
 * the workbook's own zip container. Nothing holds more than one row and the
 * zip writer's buffers, whatever the export's size.
 *
 * Over Excel's 1,048,576 rows per sheet the rows continue on further sheets
 * ("<name>", "<name> (2)", ...), each with the header row: the total row count
 * is known from the unload manifest before the first byte is written, so the
 * workbook's sheet list is written up front.
 *
 * Cells are typed from the dataset catalog's column types: integers and
 * decimals become numbers, timestamps Excel date-times (UTC, as stored),
 * booleans booleans, everything else inline strings. A NULL is an empty cell.
 * Text longer than Excel's 32,767 characters per cell is cut there (Excel
 * refuses to open a file with a longer cell).
 */
import { Readable } from "node:stream";
import { createZipArchive, type ZipEntryInput } from "../zip";
import { readCsvRecords, type CsvRecord } from "./csv-records";

/** Rows per sheet in Excel 2007+ (ECMA-376; Excel's own limit), header row included. */
export const EXCEL_MAX_ROWS = 1_048_576;
/** Characters per cell Excel accepts. */
export const EXCEL_MAX_CELL_CHARS = 32_767;

export interface XlsxColumn {
  name: string;
  /** Catalog type, e.g. `integer`, `decimal(10,2)`, `timestamp`, `varchar`. */
  type: string;
}

export interface XlsxOptions {
  /** First sheet's name (cut to 31 characters, Excel's limit); later sheets add " (2)", " (3)"... */
  sheetName: string;
  columns: readonly XlsxColumn[];
  /** Rows in all parts together (header lines not counted), from the unload manifest. */
  totalRows: number;
  /** The CSV parts in order, each with a header line (comma-delimited). */
  parts: readonly (() => Promise<NodeJS.ReadableStream | Readable>)[];
  /** Rows per sheet, header included. Default `EXCEL_MAX_ROWS`; tests use small values. */
  maxRowsPerSheet?: number;
  level: number;
  spoolDir: string;
  mtime: Date;
}

/** Number of sheets `totalRows` rows take (at least one: an empty workbook still has its header). */
export function sheetCount(totalRows: number, maxRowsPerSheet = EXCEL_MAX_ROWS): number {
  return Math.max(1, Math.ceil(totalRows / (maxRowsPerSheet - 1)));
}

/**
 * The workbook as a stream. It errors when the parts hold a different number
 * of rows than `totalRows` says, or a row with another number of fields than
 * `columns`: a workbook that disagrees with its manifest is never finished.
 */
export function createXlsxStream(opts: XlsxOptions): Readable {
  const perSheet = opts.maxRowsPerSheet ?? EXCEL_MAX_ROWS;
  if (!Number.isInteger(perSheet) || perSheet < 2 || perSheet > EXCEL_MAX_ROWS) throw new RangeError(`maxRowsPerSheet must be 2..${EXCEL_MAX_ROWS}`);
  const sheets = sheetCount(opts.totalRows, perSheet);
  const names = Array.from({ length: sheets }, (_, i) => sheetName(opts.sheetName, i));
  const rows = dataRows(opts.parts, opts.columns);
  let written = 0;
  const text = (s: string) => async () => Readable.from([Buffer.from(s, "utf8")]);
  const entries: ZipEntryInput[] = [
    { name: "[Content_Types].xml", open: text(contentTypes(sheets)) },
    { name: "_rels/.rels", open: text(ROOT_RELS) },
    { name: "xl/workbook.xml", open: text(workbook(names)) },
    { name: "xl/_rels/workbook.xml.rels", open: text(workbookRels(sheets)) },
    { name: "xl/styles.xml", open: text(STYLES) },
    ...names.map((_, i) => ({
      name: `xl/worksheets/sheet${i + 1}.xml`,
      // Sheets are opened one after the other (concurrency 1), each taking the next rows.
      open: async () =>
        Readable.from(
          sheetXml(opts.columns, rows, perSheet - 1, i === sheets - 1, (n) => {
            written += n;
            if (i === sheets - 1 && written !== opts.totalRows) {
              throw new Error(`the CSV parts hold ${written} rows, the manifest says ${opts.totalRows}`);
            }
          }),
        ),
    })),
  ];
  const zip = createZipArchive(entries, { level: opts.level, mtime: opts.mtime });
  zip.result.catch(() => undefined); // errors reach the reader through the stream
  return zip.stream;
}

function sheetName(base: string, index: number): string {
  // Excel refuses []:*?/\ in sheet names.
  const clean = base.replace(/[[\]:*?/\\]/g, "_").trim() || "Export";
  if (index === 0) return clean.slice(0, 31);
  const suffix = ` (${index + 1})`;
  return clean.slice(0, 31 - suffix.length) + suffix;
}

/** Every data row of every part in order; each part's header line is checked and dropped. */
async function* dataRows(parts: XlsxOptions["parts"], columns: readonly XlsxColumn[]): AsyncGenerator<CsvRecord> {
  const width = columns.length;
  for (const open of parts) {
    let header = true;
    for await (const record of readCsvRecords((await open()) as Readable)) {
      if (record.length !== width) throw new Error(`a CSV row has ${record.length} fields, the export has ${width} columns`);
      if (header) {
        // The parts' header must name the columns in order: cells are typed by position.
        if (record.some((name, i) => name !== columns[i].name)) throw new Error(`the CSV header ${record.join(",")} is not the export's columns`);
        header = false;
      } else yield record;
    }
  }
}

async function* sheetXml(
  columns: readonly XlsxColumn[],
  rows: AsyncGenerator<CsvRecord>,
  limit: number,
  last: boolean,
  done: (rowsWritten: number) => void,
): AsyncGenerator<Buffer> {
  const kinds = columns.map((c) => cellKind(c.type));
  const widths = columns.map((c, i) => (kinds[i] === "date" ? 20 : Math.min(60, Math.max(10, c.name.length + 2))));
  yield Buffer.from(
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="${NS_MAIN}" xmlns:r="${NS_REL}">` +
      `<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>` +
      `<cols>${widths.map((w, i) => `<col min="${i + 1}" max="${i + 1}" width="${w}" customWidth="1"/>`).join("")}</cols><sheetData>` +
      `<row r="1">${columns.map((c, i) => `<c r="${cellRef(i, 1)}" t="inlineStr" s="1"><is><t>${escapeXml(c.name)}</t></is></c>`).join("")}</row>`,
    "utf8",
  );
  let n = 0;
  let batch: string[] = [];
  // Rows are joined in small batches: one Buffer per row would cost more than the XML itself.
  while (n < limit) {
    const next = await rows.next(); // not for-await: breaking out would close the shared iterator
    if (next.done) break;
    n++;
    batch.push(rowXml(next.value, kinds, n + 1));
    if (batch.length === 256) {
      yield Buffer.from(batch.join(""), "utf8");
      batch = [];
    }
  }
  if (batch.length) yield Buffer.from(batch.join(""), "utf8");
  if (last && !(await rows.next()).done) throw new Error("the CSV parts hold more rows than the manifest says");
  done(n);
  yield Buffer.from(`</sheetData></worksheet>`, "utf8");
}

type CellKind = "number" | "date" | "bool" | "text";

function cellKind(type: string): CellKind {
  const t = type.toLowerCase();
  if (/^(?:smallint|integer|int|bigint|int2|int4|int8|decimal|numeric|real|double|float)/.test(t)) return "number";
  if (/^(?:timestamp|date)/.test(t)) return "date";
  if (/^bool/.test(t)) return "bool";
  return "text";
}

const NUMBER = /^-?\d+(?:\.\d+)?$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?(?:\+00(?::?00)?|Z)?$/;

function rowXml(record: CsvRecord, kinds: readonly CellKind[], r: number): string {
  let out = `<row r="${r}">`;
  for (let i = 0; i < record.length; i++) {
    const v = record[i];
    if (v === null) continue;
    const ref = cellRef(i, r);
    const kind = kinds[i];
    if (kind === "number" && NUMBER.test(v)) out += `<c r="${ref}"><v>${v}</v></c>`;
    else if (kind === "date" && TIMESTAMP.test(v)) out += `<c r="${ref}" s="2"><v>${excelSerial(v)}</v></c>`;
    else if (kind === "bool" && (v === "true" || v === "false")) out += `<c r="${ref}" t="b"><v>${v === "true" ? 1 : 0}</v></c>`;
    else out += `<c r="${ref}" t="inlineStr"><is><t xml:space="preserve">${escapeXml(v.slice(0, EXCEL_MAX_CELL_CHARS))}</t></is></c>`;
  }
  return out + "</row>";
}

/** Days since 1899-12-30 (Excel's 1900 date system, leap-year bug included for dates after Feb 1900). */
function excelSerial(iso: string): string {
  const m = TIMESTAMP.exec(iso)!;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), m[7] ? Number(`0.${m[7]}`) * 1000 : 0);
  return String(ms / 86_400_000 + 25_569);
}

function cellRef(col: number, row: number): string {
  let name = "";
  for (let c = col + 1; c > 0; c = Math.floor((c - 1) / 26)) name = String.fromCharCode(65 + ((c - 1) % 26)) + name;
  return `${name}${row}`;
}

// XML 1.0 allows tab, LF, CR and U+0020 up; other control characters cannot appear even escaped.
// eslint-disable-next-line no-control-regex
const XML_INVALID = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

function escapeXml(s: string): string {
  return s.replace(XML_INVALID, "\ufffd").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}

const NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships";
const XML_HEAD = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n`;

function contentTypes(sheets: number): string {
  return (
    XML_HEAD +
    `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
    `<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
    `<Default Extension="xml" ContentType="application/xml"/>` +
    `<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
    `<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>` +
    Array.from(
      { length: sheets },
      (_, i) => `<Override PartName="/xl/worksheets/sheet${i + 1}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`,
    ).join("") +
    `</Types>`
  );
}

const ROOT_RELS =
  XML_HEAD +
  `<Relationships xmlns="${NS_PKG_REL}"><Relationship Id="rId1" Type="${NS_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>`;

function workbook(names: readonly string[]): string {
  return (
    XML_HEAD +
    `<workbook xmlns="${NS_MAIN}" xmlns:r="${NS_REL}"><sheets>` +
    names.map((n, i) => `<sheet name="${escapeXml(n)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`).join("") +
    `</sheets></workbook>`
  );
}

function workbookRels(sheets: number): string {
  return (
    XML_HEAD +
    `<Relationships xmlns="${NS_PKG_REL}">` +
    Array.from({ length: sheets }, (_, i) => `<Relationship Id="rId${i + 1}" Type="${NS_REL}/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`).join("") +
    `<Relationship Id="rId${sheets + 1}" Type="${NS_REL}/styles" Target="styles.xml"/>` +
    `</Relationships>`
  );
}

/** Style 0: default; 1: bold (header); 2: date-time `yyyy-mm-dd hh:mm:ss`. */
const STYLES =
  XML_HEAD +
  `<styleSheet xmlns="${NS_MAIN}">` +
  `<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>` +
  `<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>` +
  `<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>` +
  `<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>` +
  `<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
  `<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
  `<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>` +
  `<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>` +
  `<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>` +
  `</styleSheet>`;
