// `npx tsx scripts/bench-csv-count.ts [--file some.csv] [--mb 100] [--runs 5]`: MB/s of lib/zip's CSV
// record counting (countCsvBlock + CsvRecordCounter) over 1 MiB and 16 KiB blocks (the deflate
// threads' block size and zlib's default output chunk), median of `runs`. Without --file it
// makes CSV like the product_inventory export's (a quoted field with commas in nearly every
// row, ~97 bytes a row), plus a quote-free variant.
import fs from "node:fs";
import { parseArgs } from "node:util";
import { type CsvBlockCount, countCsvBlock, CsvRecordCounter } from "../lib/zip/csv-count";

const { values } = parseArgs({ options: { file: { type: "string" }, mb: { type: "string", default: "100" }, runs: { type: "string", default: "5" } } });
const runs = Number(values.runs);

function makeCsv(bytes: number, quoted: boolean): Buffer {
  const rows: string[] = ["sku,product_id,product_name,warehouse,qty_on_hand,reorder_point,unit_cost,updated_at\n"];
  let size = rows[0].length;
  for (let i = 0; size < bytes; i++) {
    const name = quoted ? `"Rose orange, bouquet, ${i % 3 === 0 ? "large" : "small"}"` : `Rose orange bouquet ${i % 3 === 0 ? "large" : "small"}`;
    const row = `FLOWER${100000 + (i % 50000)},${100000 + i},${name},Aalsmeer Hub,${i % 250},43,${(i % 5000) / 100},2024-11-29 20:27:05\n`;
    rows.push(row);
    size += row.length;
  }
  return Buffer.from(rows.join(""));
}

/** The version before 2026-12-02 (two passes, the newline searched again after every quote), for the before/after figures. */
function previousCountCsvBlock(view: Buffer): CsvBlockCount {
  let inQuotes = false;
  let outside = 0;
  let quotes = 0;
  let i = 0;
  let quote = view.indexOf(0x22);
  for (;;) {
    if (inQuotes) {
      if (quote === -1) break;
      inQuotes = false;
      quotes++;
      i = quote + 1;
      quote = view.indexOf(0x22, i);
    } else {
      const nl = view.indexOf(0x0a, i);
      if (nl !== -1 && (quote === -1 || nl < quote)) {
        outside++;
        i = nl + 1;
      } else if (quote !== -1) {
        inQuotes = true;
        quotes++;
        i = quote + 1;
        quote = view.indexOf(0x22, i);
      } else break;
    }
  }
  let newlines = 0;
  for (let at = view.indexOf(0x0a); at !== -1; at = view.indexOf(0x0a, at + 1)) newlines++;
  return { newlinesOutside: outside, newlines, quotes };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function bench(name: string, count: (view: Buffer) => CsvBlockCount, data: Buffer, block: number): number {
  const mbps: number[] = [];
  let records = 0;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const counter = new CsvRecordCounter();
    for (let at = 0; at < data.length; at += block) {
      const view = data.subarray(at, Math.min(data.length, at + block));
      counter.add(count(view), view);
    }
    records = counter.records;
    mbps.push(data.length / 1e6 / ((performance.now() - t0) / 1000));
  }
  console.log(`${name.padEnd(40)} ${String(block / 1024).padStart(5)} KiB blocks  ${median(mbps).toFixed(0).padStart(6)} MB/s (median of ${runs}: ${mbps.map((x) => x.toFixed(0)).join(", ")})  ${records.toLocaleString("en-US")} records`);
  return records;
}

const inputs: [string, Buffer][] = values.file
  ? [[values.file, fs.readFileSync(values.file)]]
  : [
      ["quoted field in every row", makeCsv(Number(values.mb) * 1e6, true)],
      ["no quotes", makeCsv(Number(values.mb) * 1e6, false)],
    ];
for (const [name, data] of inputs) {
  for (const block of [1024 * 1024, 16 * 1024]) {
    const before = bench(`${name}, before`, previousCountCsvBlock, data, block);
    const after = bench(`${name}, now`, countCsvBlock, data, block);
    if (before !== after) throw new Error(`the two counters disagree: ${before} vs ${after} records`);
  }
}
