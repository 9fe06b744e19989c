// `npx tsx scripts/bench-xlsx.ts --rows 1200000` – XLSX from CSV parts: time, output size and peak RSS (not a test).
// Peak RSS is the kernel's (getrusage maxRSS): worker threads and native buffers included.
// The CSV parts are generated on the fly (4 parts), the workbook is counted and dropped, so what is
// measured is the XLSX writer alone; a result over 1,048,575 rows continues on a second sheet.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createXlsxStream } from "../lib/formats/xlsx";

const rows = Number(process.argv[process.argv.indexOf("--rows") + 1] || 1_200_000);
const parts = 4;
const columns = [
  { name: "sku", type: "varchar" },
  { name: "warehouse", type: "varchar" },
  { name: "qty_on_hand", type: "integer" },
  { name: "unit_cost", type: "decimal(10,2)" },
  { name: "updated_at", type: "timestamp" },
];

function part(from: number, to: number) {
  return async () =>
    Readable.from(
      (function* () {
        yield "sku,warehouse,qty_on_hand,unit_cost,updated_at\n";
        let batch = "";
        for (let i = from; i < to; i++) {
          batch += `FLOWER${i},"Rotterdam, NL",${i % 500},${(i % 9000) / 100 + 1}.50,2025-01-${String((i % 28) + 1).padStart(2, "0")} 08:00:00\n`;
          if (batch.length > 64_000) {
            yield batch;
            batch = "";
          }
        }
        if (batch) yield batch;
      })(),
    );
}

async function main() {
  const spoolDir = await mkdtemp(path.join(os.tmpdir(), "bench-xlsx-"));
  const per = Math.ceil(rows / parts);
  const started = performance.now();
  let bytes = 0;
  await pipeline(
    createXlsxStream({
      sheetName: "product_inventory",
      columns,
      totalRows: rows,
      parts: Array.from({ length: parts }, (_, i) => part(i * per, Math.min(rows, (i + 1) * per))),
      level: Number(process.env.XLSX_LEVEL ?? 1),
      spoolDir,
      mtime: new Date(),
    }),
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        bytes += chunk.length;
        cb();
      },
    }),
  );
  await rm(spoolDir, { recursive: true, force: true });
  const seconds = (performance.now() - started) / 1000;
  console.log(JSON.stringify({ rows, seconds: Number(seconds.toFixed(1)), rowsPerSecond: Math.round(rows / seconds), xlsxBytes: bytes, peakRssMb: Math.round((process.resourceUsage().maxRSS * 1024) / 1e6) }));
}

void main();
