// Benchmark: `zip -1`, yazl and archiver (the npm zip writers one would reach for) against lib/zip, all at level 1.
//
//   npx tsx scripts/bench-zip.ts [--mb 300] [--parts 4] [--runs 2] [--keep]
//
// Writes ~`mb` MB of CSV-like text in `parts` part files in a temp folder, then times each
// archiver on them (`runs` interleaved rounds, best and median), checks every archive with `unzip -tq`, and prints MB/s of
// input and the time ratio to `zip -1`. yazl and archiver deflate each entry as one zlib stream on
// libuv's pool, so a single part uses one core; lib/zip deflates 1 MiB blocks on worker threads.
import { execFile, spawn } from "node:child_process";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import { ZipArchive } from "archiver";
import * as yazl from "yazl";
import { createZipArchive } from "../lib/zip";

const run = promisify(execFile);

interface Args {
  mb: number;
  parts: number;
  runs: number;
  keep: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { mb: 300, parts: 4, runs: 2, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === "--keep") args.keep = true;
    else if (flag === "--mb" || flag === "--parts" || flag === "--runs") {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value < 1) throw new Error(`${flag} needs a positive integer`);
      args[flag.slice(2) as "mb" | "parts" | "runs"] = value;
    } else throw new Error(`unknown argument ${flag}`);
  }
  return args;
}

const FLOWERS = ["Tulip", "Rose", "Lily", "Peony", "Orchid", "Daisy", "Sunflower", "Carnation", "Iris", "Gerbera"];
const COLOURS = ["red", "white", "yellow", "pink", "purple", "orange", "mixed"];
const WAREHOUSES = ["AMS-1", "AMS-2", "RTM-1", "BER-3", "PAR-2"];

/** Writes one part file of warehouse-like rows (ids, dates, SKUs, names, numbers) of about `bytes`. */
async function writePart(file: string, bytes: number, seed: number): Promise<void> {
  let x = seed >>> 0 || 1;
  const next = () => {
    // xorshift32: fast, deterministic, no allocation
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  const out = createWriteStream(file);
  const header = "order_id,ordered_at,sku,product_name,colour,quantity,unit_price,warehouse,supplier_ref\n";
  let written = 0;
  let id = seed * 10_000_000;
  const writeChunk = (chunk: string) =>
    new Promise<void>((resolve, reject) => out.write(chunk, (error) => (error ? reject(error) : resolve())));
  await writeChunk(header);
  written += header.length;
  while (written < bytes) {
    const rows: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      const r = next();
      const day = 1 + (r % 28);
      const month = 1 + ((r >>> 5) % 12);
      rows.push(
        `${id++},2024-${month < 10 ? "0" : ""}${month}-${day < 10 ? "0" : ""}${day}T${(r >>> 9) % 24}:${(r >>> 14) % 60}:00Z,` +
          `SKU-${(r % 99_991).toString().padStart(6, "0")},"${FLOWERS[r % FLOWERS.length]} ${COLOURS[(r >>> 3) % COLOURS.length]} (${5 + (r % 20)} stems)",` +
          `${COLOURS[(r >>> 7) % COLOURS.length]},${1 + (r % 250)},${((r % 5000) / 100).toFixed(2)},${WAREHOUSES[(r >>> 11) % WAREHOUSES.length]},` +
          `${(next() >>> 0).toString(36)}\n`,
      );
    }
    const chunk = rows.join("");
    await writeChunk(chunk);
    written += chunk.length;
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

async function timeIt(fn: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

/** Times `fn` and samples this process's RSS: how far above its starting point did it go? */
/** Times `fn`, samples RSS, and takes this process's CPU time (every thread: main, workers, libuv's pool). */
async function measure(fn: () => Promise<void>): Promise<{ seconds: number; rssGrowth: number; cpuSeconds: number }> {
  const before = process.memoryUsage.rss();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  const cpu = process.cpuUsage();
  try {
    const seconds = await timeIt(fn);
    const used = process.cpuUsage(cpu);
    return { seconds, rssGrowth: Math.max(peak, process.memoryUsage.rss()) - before, cpuSeconds: (used.user + used.system) / 1e6 };
  } finally {
    clearInterval(sampler);
  }
}

async function zipCli(parts: string[], output: string): Promise<void> {
  await rm(output, { force: true });
  await new Promise<void>((resolve, reject) => {
    const child = spawn("zip", ["-1", "-q", "-j", output, ...parts], { stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`zip exited with ${code}`))));
  });
}

const MTIME = new Date("2024-01-01T00:00:00Z");

async function zipWriter(parts: string[], output: string): Promise<void> {
  const { stream, result } = createZipArchive(
    parts.map((part) => ({
      name: path.basename(part),
      open: async () => createReadStream(part, { highWaterMark: 256 * 1024 }),
    })),
    { level: 1, mtime: MTIME },
  );
  await pipeline(stream, createWriteStream(output));
  await result;
}

/** The AWS path: parts gzipped beforehand (as UNLOAD ... GZIP leaves them), re-framed without recompression. */
async function zipReframe(gzParts: string[], output: string, countRows = true): Promise<void> {
  const { stream, result } = createZipArchive(
    gzParts.map((part) => ({
      name: path.basename(part, ".gz"),
      gzip: true,
      countCsvRecords: countRows,
      open: async () => createReadStream(part, { highWaterMark: 256 * 1024 }),
    })),
    { level: 1, mtime: MTIME },
  );
  await pipeline(stream, createWriteStream(output));
  await result;
}

async function yazlWriter(parts: string[], output: string): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const part of parts) zip.addReadStream(createReadStream(part), path.basename(part), { compressionLevel: 1, mtime: MTIME });
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(output));
}

async function archiverWriter(parts: string[], output: string): Promise<void> {
  const zip = new ZipArchive({ zlib: { level: 1 } });
  for (const part of parts) zip.file(part, { name: path.basename(part), date: MTIME });
  const written = pipeline(zip, createWriteStream(output));
  await zip.finalize();
  await written;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const dir = await mkdtemp(path.join(os.tmpdir(), "bench-zip-"));
  try {
    const parts = Array.from({ length: args.parts }, (_, i) => path.join(dir, `part-${String(i).padStart(4, "0")}.csv`));
    const generateSeconds = await timeIt(async () => {
      await Promise.all(parts.map((part, i) => writePart(part, (args.mb * 1e6) / args.parts, i + 1)));
    });
    let inputBytes = 0;
    for (const part of parts) inputBytes += (await stat(part)).size;
    // What Redshift's UNLOAD ... GZIP would leave (on the cluster's CPU, not the worker's).
    const gzParts = parts.map((part) => `${part}.gz`);
    await Promise.all(parts.map((part) => run("sh", ["-c", `gzip -6 -c '${part}' > '${part}.gz'`])));
    const inputMb = inputBytes / 1e6;
    console.log(`input: ${parts.length} parts, ${inputMb.toFixed(1)} MB of CSV in ${dir} (generated in ${generateSeconds.toFixed(1)} s)`);
    console.log(`cpus: ${os.availableParallelism()}, node ${process.version}, ${args.runs} interleaved run(s), best and median\n`);

    // RSS growth of this process is only meaningful for the in-process writers.
    const variants: { name: string; output: string; write: (output: string) => Promise<void>; inProcess: boolean }[] = [
      { name: "zip -1", output: path.join(dir, "zip-cli.zip"), write: (o) => zipCli(parts, o), inProcess: false },
      { name: "yazl level 1", output: path.join(dir, "yazl.zip"), write: (o) => yazlWriter(parts, o), inProcess: true },
      { name: "archiver level 1", output: path.join(dir, "archiver.zip"), write: (o) => archiverWriter(parts, o), inProcess: true },
      { name: "lib/zip level 1", output: path.join(dir, "lib-zip.zip"), write: (o) => zipWriter(parts, o), inProcess: true },
      { name: "lib/zip re-framing .gz, rows counted", output: path.join(dir, "lib-zip-gz.zip"), write: (o) => zipReframe(gzParts, o), inProcess: true },
      { name: "lib/zip re-framing .gz, no row count", output: path.join(dir, "lib-zip-gz-nc.zip"), write: (o) => zipReframe(gzParts, o, false), inProcess: true },
    ];
    // Runs are interleaved (every variant once per round): on a shared machine the load changes
    // by the minute, and one variant's runs back to back would measure the load, not the variant.
    const samples = variants.map(() => ({ seconds: [] as number[], cpu: [] as number[], rss: 0 }));
    for (let i = 0; i < args.runs; i++) {
      for (const [v, variant] of variants.entries()) {
        const { seconds, rssGrowth, cpuSeconds } = await measure(() => variant.write(variant.output));
        samples[v].seconds.push(seconds);
        samples[v].cpu.push(cpuSeconds);
        samples[v].rss = Math.max(samples[v].rss, rssGrowth);
      }
    }
    const rows: { name: string; seconds: number; median: number; cpuPerGb: number | null; archiveMb: number; rssMb: number | null }[] = [];
    for (const [v, variant] of variants.entries()) {
      await run("unzip", ["-tq", variant.output]); // a fast wrong archive is no result
      const sorted = [...samples[v].seconds].sort((a, b) => a - b);
      rows.push({
        name: variant.name,
        seconds: sorted[0],
        median: sorted[Math.floor(sorted.length / 2)],
        // CPU seconds per GB of CSV (median of the runs): what a Lambda pays per GB, whatever the wall clock did.
        cpuPerGb: variant.inProcess ? [...samples[v].cpu].sort((a, b) => a - b)[Math.floor(args.runs / 2)] / (inputBytes / 1e9) : null,
        archiveMb: (await stat(variant.output)).size / 1e6,
        rssMb: variant.inProcess ? samples[v].rss / 1e6 : null,
      });
    }
    const baseline = rows[0].seconds;
    console.log(
      ["variant".padEnd(36), "best s".padStart(8), "median s".padStart(9), "MB/s".padStart(8), "archive MB".padStart(11), "time / zip -1".padStart(14), "CPU s/GB".padStart(10), "RSS growth MB".padStart(14)].join(""),
    );
    for (const row of rows) {
      console.log(
        [
          row.name.padEnd(36),
          row.seconds.toFixed(2).padStart(8),
          row.median.toFixed(2).padStart(9),
          (inputMb / row.seconds).toFixed(1).padStart(8),
          row.archiveMb.toFixed(1).padStart(11),
          (row.seconds / baseline).toFixed(2).padStart(14),
          (row.cpuPerGb === null ? "-" : row.cpuPerGb.toFixed(1)).padStart(10),
          (row.rssMb === null ? "-" : row.rssMb.toFixed(0)).padStart(14),
        ].join(""),
      );
    }
  } finally {
    if (args.keep) console.log(`\nkept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
