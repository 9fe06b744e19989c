import fs from "node:fs";
import { countCsvBlock, csvBlockCounter } from "@/lib/zip/csv-count";
import { CSV_COUNT_WASM } from "@/lib/zip/csv-count-wasm";
const csv = fs.readFileSync("/tmp/pi.csv");
const w = csvBlockCounter(Buffer.from(CSV_COUNT_WASM, "base64"));
for (const block of [256 * 1024, 1 << 20]) for (let r = 0; r < 3; r++) {
  for (const [name, f] of [["indexOf", countCsvBlock], ["wasm", w]] as const) {
    const t = performance.now(); let o = 0, n = 0, q = 0;
    for (let i = 0; i < csv.length; i += block) { const c = f(csv.subarray(i, i + block)); o += c.newlinesOutside; n += c.newlines; q += c.quotes; }
    const ms = performance.now() - t;
    console.log(block, name.padEnd(8), ms.toFixed(0), "ms", (csv.length / ms / 1e3).toFixed(0), "MB/s", o, n, q);
  }
}
