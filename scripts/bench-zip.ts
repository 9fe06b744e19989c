// Benchmark: `zip -1` against lib/zip at level 1, concurrency 1 and 2.
//
//   npx tsx scripts/bench-zip.ts [--mb 300] [--parts 4] [--runs 2] [--keep]
//
// Writes ~`mb` MB of CSV-like text in `parts` part files in a temp folder, then times each
// archiver on them (best of `runs`), checks our archives with `unzip -tq`, and prints MB/s of
// input and the time ratio to `zip -1`.
import { execFile, spawn } from "node:child_process";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
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
async function measure(fn: () => Promise<void>): Promise<{ seconds: number; rssGrowth: number }> {
  const before = process.memoryUsage.rss();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  try {
    const seconds = await timeIt(fn);
    return { seconds, rssGrowth: Math.max(peak, process.memoryUsage.rss()) - before };
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

async function zipWriter(parts: string[], output: string, concurrency: number, spoolDir: string): Promise<void> {
  const { stream, result } = createZipArchive(
    parts.map((part) => ({
      name: path.basename(part),
      open: async () => createReadStream(part, { highWaterMark: 256 * 1024 }),
    })),
    { level: 1, concurrency, spoolDir, mtime: new Date("2024-01-01T00:00:00Z") },
  );
  await pipeline(stream, createWriteStream(output));
  await result;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const dir = await mkdtemp(path.join(os.tmpdir(), "bench-zip-"));
  try {
    const spoolDir = path.join(dir, "spool");
    await mkdir(spoolDir);
    const parts = Array.from({ length: args.parts }, (_, i) => path.join(dir, `part-${String(i).padStart(4, "0")}.csv`));
    const generateSeconds = await timeIt(async () => {
      await Promise.all(parts.map((part, i) => writePart(part, (args.mb * 1e6) / args.parts, i + 1)));
    });
    let inputBytes = 0;
    for (const part of parts) inputBytes += (await stat(part)).size;
    const inputMb = inputBytes / 1e6;
    console.log(`input: ${parts.length} parts, ${inputMb.toFixed(1)} MB of CSV in ${dir} (generated in ${generateSeconds.toFixed(1)} s)`);
    console.log(`cpus: ${os.availableParallelism()}, node ${process.version}, best of ${args.runs} run(s)\n`);

    // Our archives are checked with `unzip -tq` (a fast wrong archive is no result); RSS growth
    // of this process is only meaningful for the in-process writer.
    const variants: { name: string; output: string; write: (output: string) => Promise<void>; check: boolean; inProcess: boolean }[] = [
      { name: "zip -1", output: path.join(dir, "zip-cli.zip"), write: (o) => zipCli(parts, o), check: false, inProcess: false },
      ...[1, 2].map((concurrency) => ({
        name: `zip-writer level 1, concurrency ${concurrency}`,
        output: path.join(dir, `writer-c${concurrency}.zip`),
        write: (o: string) => zipWriter(parts, o, concurrency, spoolDir),
        check: true,
        inProcess: true,
      })),
    ];
    const rows: { name: string; seconds: number; archiveMb: number; rssMb: number | null }[] = [];
    for (const variant of variants) {
      let best = Number.POSITIVE_INFINITY;
      let rss = 0;
      for (let i = 0; i < args.runs; i++) {
        const { seconds, rssGrowth } = await measure(() => variant.write(variant.output));
        best = Math.min(best, seconds);
        rss = Math.max(rss, rssGrowth);
      }
      if (variant.check) await run("unzip", ["-tq", variant.output]);
      rows.push({
        name: variant.name,
        seconds: best,
        archiveMb: (await stat(variant.output)).size / 1e6,
        rssMb: variant.inProcess ? rss / 1e6 : null,
      });
    }
    const baseline = rows[0].seconds;
    console.log(
      ["variant".padEnd(36), "seconds".padStart(8), "MB/s".padStart(8), "archive MB".padStart(11), "time / zip -1".padStart(14), "RSS growth MB".padStart(14)].join(""),
    );
    for (const row of rows) {
      console.log(
        [
          row.name.padEnd(36),
          row.seconds.toFixed(2).padStart(8),
          (inputMb / row.seconds).toFixed(1).padStart(8),
          row.archiveMb.toFixed(1).padStart(11),
          (row.seconds / baseline).toFixed(2).padStart(14),
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
