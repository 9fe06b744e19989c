// `npx tsx scripts/bench-csv-count.ts [--file some.csv] [--mb 100] [--runs 5]`: MB/s of lib/zip's CSV
// record counting (countCsvBlock, the wasm SIMD counter, + CsvRecordCounter) against the indexOf
// scan it replaced, over 1 MiB and 16 KiB blocks (the deflate threads' block size and zlib's
// default output chunk), median of `runs`. Without --file it
// makes CSV like the product_inventory export's (a quoted field with commas in nearly every
// row, ~97 bytes a row), plus a quote-free variant.
import fs from "node:fs";
import { parseArgs } from "node:util";
import { type CsvBlockCount, countCsvBlock, CsvRecordCounter } from "../lib/zip/csv-count";
import { inventoryCsv, median } from "./bench-util";

const { values } = parseArgs({ options: { file: { type: "string" }, mb: { type: "string", default: "100" }, runs: { type: "string", default: "5" } } });
const runs = Number(values.runs);

/**
 * The indexOf scan lib/zip used until 2026-12-02, when the wasm SIMD counter replaced it: one pass
 * jumping with indexOf (memchr) between quotes and newlines, the next newline's position kept until
 * the scan passes it (a row with a quoted field costs three indexOf calls).
 */
function indexOfCountCsvBlock(view: Buffer): CsvBlockCount {
  let outside = 0;
  let inside = 0;
  let quotes = 0;
  let nl = view.indexOf(0x0a);
  let quote = view.indexOf(0x22);
  for (;;) {
    // Outside quotes, up to the next opening quote (or the end).
    while (nl !== -1 && (quote === -1 || nl < quote)) {
      outside++;
      nl = view.indexOf(0x0a, nl + 1);
    }
    if (quote === -1) break;
    quotes++;
    const close = view.indexOf(0x22, quote + 1);
    // Inside quotes, up to the closing quote (or the end: the block ends inside a quoted field).
    while (nl !== -1 && (close === -1 || nl < close)) {
      inside++;
      nl = view.indexOf(0x0a, nl + 1);
    }
    if (close === -1) break;
    quotes++;
    quote = view.indexOf(0x22, close + 1);
  }
  return { newlinesOutside: outside, newlines: outside + inside, quotes };
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
      ["quoted field in every row", inventoryCsv(Number(values.mb) * 1e6, true)],
      ["no quotes", inventoryCsv(Number(values.mb) * 1e6, false)],
    ];
for (const [name, data] of inputs) {
  for (const block of [1024 * 1024, 16 * 1024]) {
    const before = bench(`${name}, indexOf (before)`, indexOfCountCsvBlock, data, block);
    const after = bench(`${name}, wasm SIMD (now)`, countCsvBlock, data, block);
    if (before !== after) throw new Error(`the two counters disagree: ${before} vs ${after} records`);
  }
}
