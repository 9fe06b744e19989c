// `npx tsx scripts/bench-inflate-thread.ts [--file some.csv.gz] [--mb 270] [--runs 3]`: CPU seconds of
// the archive step's inflate pass (lib/zip/inflate-thread.ts: inflate, CRC-32 and, with count, the
// CSV record count) over one gzip member written to it in pieces of 64 KiB (a socket read) and
// 1 MiB, through zlib's handle (the fast path) and the stream API (the fallback), against
// zlib.inflateRawSync + crc32 of the whole in this thread. Per run it prints the CPU of each
// thread that used 0.01 s or more, then medians. Without --file it gzips CSV like the
// product_inventory export's.
// Prints figures; never fails on timings.
import fs from "node:fs";
import { parseArgs } from "node:util";
import zlib from "node:zlib";
import { gzipHeaderLength } from "../lib/zip/gzip";
import { OffThreadInflate } from "../lib/zip/inflate-thread";
import { inventoryCsv, median, threadCpu, threadCpuSince } from "./bench-util";

const { values } = parseArgs({ options: { file: { type: "string" }, mb: { type: "string", default: "270" }, runs: { type: "string", default: "3" } } });
const runs = Number(values.runs);
function cpuSeconds(c: NodeJS.CpuUsage): number {
  return (c.user + c.system) / 1e6;
}

const gz = values.file ? fs.readFileSync(values.file) : zlib.gzipSync(inventoryCsv(Number(values.mb) * 1e6), { level: 6 });
const data = gz.subarray(gzipHeaderLength(gz)!, gz.length - 8);

async function pass(count: boolean, piece: number, stream = false): Promise<{ cpu: number; threads: string; size: number }> {
  const t0 = threadCpu();
  const c0 = process.cpuUsage();
  const inflate = new OffThreadInflate("bench", count, { stream });
  for (let at = 0; at < data.length; at += piece) await inflate.write(data.subarray(at, at + piece));
  const totals = await inflate.end();
  const cpu = cpuSeconds(process.cpuUsage(c0));
  const threads = threadCpuSince(t0)
    .map(([tid, c]) => `${tid} ${c.toFixed(2)}`)
    .join(", ");
  return { cpu, threads, size: totals.size };
}

void (async () => {
  console.log(`inflate pass over ${(data.length / 1e6).toFixed(1)} MB of deflate data, ${runs} runs`);
  const variants: [string, () => Promise<{ cpu: number; threads?: string; size: number }>][] = [
    ["inflate thread, count, 64 KiB pieces", () => pass(true, 64 * 1024)],
    ["inflate thread, count, 1 MiB pieces", () => pass(true, 1024 * 1024)],
    ["inflate thread, no count, 64 KiB pieces", () => pass(false, 64 * 1024)],
    ["inflate thread, count, 1 MiB, zlib stream API", () => pass(true, 1024 * 1024, true)],
    [
      "inflateRawSync + crc32 (no count)",
      async () => {
        const c0 = process.cpuUsage();
        const out = zlib.inflateRawSync(data);
        zlib.crc32(out);
        return { cpu: cpuSeconds(process.cpuUsage(c0)), size: out.length };
      },
    ],
  ];
  const cpu = new Map<string, number[]>();
  for (let r = 0; r < runs; r++) {
    for (const [name, run] of variants) {
      const result = await run();
      cpu.set(name, [...(cpu.get(name) ?? []), result.cpu]);
      console.log(`  ${name.padEnd(46)} CPU ${result.cpu.toFixed(2)} s  ${(result.size / 1e6).toFixed(1)} MB out${result.threads ? `  (${result.threads})` : ""}`);
    }
  }
  console.log("medians");
  for (const [name, xs] of cpu) console.log(`  ${name.padEnd(46)} CPU ${median(xs).toFixed(2)} s`);
})();
