/**
 * A streaming reader of the CSV the warehouses write (RFC 4180: `"` quotes,
 * doubled inside; fields holding the delimiter, a quote or a newline are
 * quoted). It tells an empty string (`""`) from a NULL (an empty unquoted
 * field), as DuckDB and Redshift write them, so a spreadsheet gets empty
 * cells for NULLs only. One record at a time: memory is bounded by the
 * longest record, not the file.
 */
import type { Readable } from "node:stream";

/** One record: a field is null when it was empty and unquoted (NULL). */
export type CsvRecord = (string | null)[];

const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;

/** Yields the records of `input` in order (the header, if any, is the first). Throws on a quote left open at the end. */
export async function* readCsvRecords(input: AsyncIterable<Buffer | string> | Iterable<Buffer | string> | Readable, delimiter = ","): AsyncGenerator<CsvRecord> {
  if (delimiter.length !== 1) throw new Error("the delimiter is one character");
  const delim = delimiter.charCodeAt(0);
  const decoder = new TextDecoder("utf-8", { fatal: false });
  let record: CsvRecord = [];
  let field = "";
  let quoted = false; // the current field started with a quote
  let inQuotes = false;
  let afterQuote = false; // inQuotes just ended at a quote (a second one means a literal quote)
  let any = false; // the current record has any character
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    const text = typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    let start = 0; // start of the plain run not yet copied into `field`
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (inQuotes) {
        if (c === QUOTE) {
          field += text.slice(start, i);
          inQuotes = false;
          afterQuote = true;
          start = i + 1;
        }
        continue;
      }
      if (afterQuote && c === QUOTE) {
        // "" inside a quoted field: one literal quote, and the field goes on quoted
        field += '"';
        inQuotes = true;
        afterQuote = false;
        start = i + 1;
        continue;
      }
      afterQuote = false;
      if (c === QUOTE && field === "" && start === i && !quoted) {
        quoted = true;
        inQuotes = true;
        any = true;
        start = i + 1;
      } else if (c === delim) {
        field += text.slice(start, i);
        record.push(quoted || field !== "" ? field : null);
        field = "";
        quoted = false;
        any = true;
        start = i + 1;
      } else if (c === LF || c === CR) {
        field += text.slice(start, i);
        if (any || field !== "") {
          record.push(quoted || field !== "" ? field : null);
          yield record;
        }
        record = [];
        field = "";
        quoted = false;
        any = false;
        start = i + 1;
      } else {
        any = true;
      }
    }
    field += text.slice(start);
  }
  field += decoder.decode();
  if (inQuotes) throw new Error("CSV ends inside a quoted field");
  if (any || field !== "") {
    record.push(quoted || field !== "" ? field : null);
    yield record;
  }
}
