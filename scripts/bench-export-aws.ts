// `npm run bench:export -- --backend aws [--rows 1000000] [--runs 3] [--slices 2] [--level 1] [--check]`
// (or `npm run bench:export:aws -- ...`): the AWS archive step, old against new, on the emulators.
//
// old: CSV unloaded plain (RedshiftWarehouse gzipCsv: false), so the archive step downloads every
//      CSV byte and deflates it at ZIP_LEVEL (default 1): the recompressing archive.
// new: CSV unloaded with GZIP (what the deployment does), each gzip part re-framed into its zip
//      entry without recompression, with the inflate pass that checks sizes, CRC and records.
// Both run the real worker (workers/sqs.ts `processExportBatch`, fed SQS deliveries as Lambda's
// event source mapping would) with the adapters `buildDeps` makes for EXPORT_BACKEND=aws. The
// emulators and the fake Redshift run in a child process (scripts/bench-export-aws-backend.ts), so
// the CPU figure is this process's own (all its threads: main, libuv pool, deflate threads),
// read with process.cpuUsage() at the worker's "query-finished" and "ready" checkpoints: the
// archive step alone, whatever deliveries it takes. "Bytes through" are counted by a TCP proxy in
// front of S3: everything the worker sent to S3 or received from it during the export, headers
// and the manifest read included. CSV bytes are the archive's uncompressed entry sizes (read
// from its central directory after the run, outside the timing).
// Old and new run interleaved `--runs` times; each run is printed, then medians and ratios.
// Prints figures; never fails on timings.
import { execFileSync, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { Session } from "node:inspector";
import { PerformanceObserver } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { RedshiftDataClient } from "@aws-sdk/client-redshift-data";
import { SQSClient } from "@aws-sdk/client-sqs";
import { RedshiftWarehouse } from "@/lib/adapters/aws/redshift-warehouse";
import { seedWarehouse } from "@/lib/adapters/local/seed-warehouse";
import { buildDeps, loadConfig, type AppDeps } from "@/lib/config";
import type { Actor } from "@/lib/core/actor";
import type { ExportRecord } from "@/lib/exports/model";
import { submitExport } from "@/lib/exports/service";
import { createLogger } from "@/lib/log";
import { deliverBatch } from "@/test/support/aws-backend";
import { HEAP_GROWING_PERCENT } from "@/workers/heap";
import { processExportBatch } from "@/workers/sqs";
import { median, threadCpu, threadCpuSince } from "./bench-util";

const { values } = parseArgs({
  options: {
    backend: { type: "string", default: "aws" },
    rows: { type: "string", default: "1000000" },
    runs: { type: "string", default: "3" },
    slices: { type: "string", default: "2" },
    level: { type: "string", default: "1" },
    /** Also run `unzip -t` and Python's zipfile CRC check on every archive (slower). */
    check: { type: "boolean", default: false },
    /** Profiles the main thread during the archive step of this variant's first run (.bench/aws-<variant>.cpuprofile, top self times printed). */
    profile: { type: "string", default: "" },
    /** Which archives to run, comma-separated (old,new); the ratios need both. */
    variants: { type: "string", default: "old,new" },
    /** One unrecorded export of each variant first, so JIT warm-up (the SDK's code paths) is not charged to run 1. */
    "no-warmup": { type: "boolean", default: false },
  },
});
if (values.profile !== "" && values.profile !== "old" && values.profile !== "new") throw new Error("--profile takes old or new");
if (values.backend !== "aws") throw new Error("this is the aws bench; the local one is scripts/bench-export.ts");
const rows = Number(values.rows);
const runs = Number(values.runs);
const slices = Number(values.slices);
for (const [name, v] of [["--rows", rows], ["--runs", runs], ["--slices", slices]] as const) {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} must be a positive integer`);
}

const variants = values.variants!.split(",") as Variant[];
if (variants.length === 0 || variants.some((v) => v !== "old" && v !== "new")) throw new Error("--variants takes old, new or old,new");

const benchDir = path.resolve(".bench");
const dbPath = path.join(benchDir, `warehouse-${rows}.duckdb`);
const admin: Actor = { userId: "usr_bench", email: "bench@acmeflowers.test", role: "admin", supplierId: null };
type Variant = "old" | "new";

interface Backend {
  env: Record<string, string>;
  counts(): Promise<{ up: number; down: number }>;
  stop(): Promise<void>;
}

async function startBackend(): Promise<Backend> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join("scripts", "bench-export-aws-backend.ts")], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: { ...process.env, BENCH_ROWS: String(rows), BENCH_DB_PATH: dbPath, BENCH_SLICES: String(slices), TEST_LOG_LEVEL: "silent" },
  });
  const exited = new Promise((r) => child.once("exit", r));
  const waiters: ((m: { up: number; down: number }) => void)[] = [];
  const env = await new Promise<Record<string, string>>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`emulator process exited (${code})`)));
    child.on("message", (m: { type: string; env?: Record<string, string>; up?: number; down?: number }) => {
      if (m.type === "ready") resolve(m.env!);
      if (m.type === "counts") waiters.shift()?.({ up: m.up!, down: m.down! });
    });
  });
  return {
    env,
    counts: () =>
      new Promise((resolve) => {
        waiters.push(resolve);
        child.send({ type: "counts" });
      }),
    stop: async () => {
      child.send({ type: "stop" });
      await exited;
    },
  };
}

interface RunResult {
  variant: Variant;
  archiveSeconds: number;
  cpuSeconds: number;
  /** Of cpuSeconds, the main thread's (the rest: libuv's pool (zlib inflate), deflate threads, GC helpers). */
  mainCpuSeconds: number;
  /** CPU seconds of each other thread in the window (inflate or deflate threads, libuv's pool, V8's GC helpers), largest first, 0.01 s and over. */
  otherThreads: number[];
  /** Main-thread garbage collection pauses in the archive step: count, and seconds (wall). */
  gc: { count: number; seconds: number; major: number; majorSeconds: number };
  csvBytes: number;
  archiveBytes: number;
  rows: number;
  down: number;
  up: number;
  deliveries: number;
  /** CPU seconds of streaming the finished archive from S3 back into S3 through this process: the transfer alone. */
  transferCpuSeconds: number;
  /** The "archived" step's detail, sha256 left out (bytesUploaded / bytesCopied when the step reports them). */
  archived: Record<string, unknown>;
}

/** Sums the entries' uncompressed sizes from the archive's central directory (Python's zipfile reads ZIP64 too). */
function csvBytesOf(zipPath: string, check: boolean): number {
  const script = [
    "import sys, zipfile",
    "z = zipfile.ZipFile(sys.argv[1])",
    "assert sys.argv[2] == '0' or z.testzip() is None",
    "print(sum(i.file_size for i in z.infolist()))",
  ].join("\n");
  if (check) execFileSync("unzip", ["-tq", zipPath]);
  return Number(execFileSync("python3", ["-c", script, zipPath, check ? "1" : "0"]).toString().trim());
}

/** Main-thread profile of one archive step: the 15 functions with the most self time. */
function printProfile(profile: { nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[]; samples: number[]; timeDeltas: number[] }, file: string): void {
  fs.writeFileSync(file, JSON.stringify(profile));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byName = new Map<string, number>();
  for (const node of profile.nodes) {
    const f = node.callFrame;
    const name = `${f.functionName || "(anonymous)"} ${f.url.replace(/^.*\/(node_modules|lib|scripts|test)\//, "$1/")}:${f.lineNumber + 1}`;
    byName.set(name, (byName.get(name) ?? 0) + (self.get(node.id) ?? 0));
  }
  const total = [...byName.values()].reduce((a, b) => a + b, 0);
  console.log(`  main-thread profile (${file}), ${(total / 1e6).toFixed(2)} s sampled; top self time:`);
  for (const [name, us] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
    console.log(`    ${(us / 1e3).toFixed(0).padStart(6)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${name}`);
  }
}

interface Window {
  t0: number;
  cpu0: NodeJS.CpuUsage;
  threads0: Map<string, number>;
  t1?: number;
  cpu1?: NodeJS.CpuUsage;
  threads1?: Map<string, number>;
}

async function runOnce(deps: AppDeps, backend: Backend, sqs: SQSClient, oldWarehouse: RedshiftWarehouse, variant: Variant, profileThis: boolean): Promise<RunResult> {
  let window: Window | null = null;
  const session = profileThis ? new Session() : null;
  let profiled: Promise<void> = Promise.resolve();
  const gc = { count: 0, seconds: 0, major: 0, majorSeconds: 0, on: false };
  const gcObserver = new PerformanceObserver((list) => {
    if (!gc.on) return;
    for (const e of list.getEntries()) {
      gc.count++;
      gc.seconds += e.duration / 1000;
      // perf_hooks.constants.NODE_PERFORMANCE_GC_MAJOR: mark-compact (the rest: scavenges, incremental steps, weak callbacks).
      if (((e as unknown as { detail?: { kind?: number } }).detail)?.kind === 4) {
        gc.major++;
        gc.majorSeconds += e.duration / 1000;
      }
    }
  });
  gcObserver.observe({ entryTypes: ["gc"] });
  const runDeps: AppDeps = {
    ...deps,
    warehouse: variant === "old" ? oldWarehouse : deps.warehouse,
    checkpoint: (name) => {
      if (name === "query-finished") {
        if (session) {
          session.connect();
          session.post("Profiler.enable");
          session.post("Profiler.start");
        }
        window = { t0: performance.now(), cpu0: process.cpuUsage(), threads0: threadCpu() };
        gc.on = true;
      }
      if (name === "ready" && window) {
        Object.assign(window, { t1: performance.now(), cpu1: process.cpuUsage(), threads1: threadCpu() });
        gc.on = false;
        if (session) {
          profiled = new Promise((resolve) =>
            session.post("Profiler.stop", (err, { profile }) => {
              if (!err) printProfile(profile as never, path.join(benchDir, `aws-${variant}.cpuprofile`));
              session.disconnect();
              resolve();
            }),
          );
        }
      }
    },
  };
  const before = await backend.counts();
  const body = { dataset: "product_inventory", params: {}, notify: false };
  const { export: rec } = await submitExport(runDeps, { claims: deps.claims, limits: deps.config.api }, admin, body, { idempotencyKey: randomUUID() });
  let done: ExportRecord | null = null;
  let deliveries = 0;
  for (const deadline = Date.now() + 30 * 60_000; ; ) {
    const current = (await deps.jobs.getExport(rec.id))!;
    if (["ready", "failed", "cancelled"].includes(current.status)) {
      done = current;
      break;
    }
    if (Date.now() > deadline) throw new Error(`export ${rec.id} still ${current.status} after 30 minutes`);
    deliveries += await deliverBatch(sqs, backend.env.EXPORT_QUEUE_URL, (e) => processExportBatch(runDeps, e), 1);
  }
  const after = await backend.counts();
  if (done.status !== "ready") throw new Error(`export ${done.status}: ${done.errorMessage}`);
  await profiled;
  gcObserver.disconnect();
  const w = window as Window | null;
  if (!w?.t1 || !w.cpu1 || !w.threads1) throw new Error("the worker never reached its query-finished and ready checkpoints");
  const cpuSeconds = (w.cpu1.user - w.cpu0.user + w.cpu1.system - w.cpu0.system) / 1e6;
  const steps = await deps.jobs.listSteps(rec.id);
  const { sha256: _sha, ...archived } = steps.find((s) => s.step === "archived")?.detail ?? {};
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pep-bench-aws-"));
  try {
    const zipPath = path.join(dir, "a.zip");
    await pipeline(await deps.archiveStore.openRead(done.archiveKey!), fs.createWriteStream(zipPath));
    const csvBytes = csvBytesOf(zipPath, values.check!);
    // The floor under any archive step with this traffic: the archive's bytes down and up again
    // through the same SDK clients, nothing else (the new archive's traffic is about this).
    const c0 = process.cpuUsage();
    await deps.archiveStore.put(`${done.archiveKey!}.copy`, await deps.archiveStore.openRead(done.archiveKey!));
    const c1 = process.cpuUsage(c0);
    await deps.archiveStore.delete(`${done.archiveKey!}.copy`);
    await deps.archiveStore.delete(done.archiveKey!);
    return {
      variant,
      archiveSeconds: (w.t1 - w.t0) / 1000,
      cpuSeconds,
      mainCpuSeconds: threadCpuSince(w.threads0, w.threads1).find(([tid]) => tid === "main")?.[1] ?? 0,
      otherThreads: threadCpuSince(w.threads0, w.threads1)
        .filter(([tid]) => tid !== "main")
        .map(([, cpu]) => cpu),
      gc: { count: gc.count, seconds: gc.seconds, major: gc.major, majorSeconds: gc.majorSeconds },
      csvBytes,
      archiveBytes: done.archiveBytes!,
      rows: done.rowCount!,
      down: after.down - before.down,
      up: after.up - before.up,
      deliveries,
      transferCpuSeconds: (c1.user + c1.system) / 1e6,
      archived,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const mb = (n: number) => (n / 1e6).toFixed(1);
const cpuPerGb = (r: RunResult) => r.cpuSeconds / (r.csvBytes / 1e9);

function printRun(r: RunResult): void {
  const mem = process.memoryUsage();
  console.log(`  (process after: heap ${mb(mem.heapUsed)} MB, external ${mb(mem.external)} MB, array buffers ${mb(mem.arrayBuffers)} MB, rss ${mb(mem.rss)} MB)`);
  const extra = Object.keys(r.archived).length > 0 ? `  archived step ${JSON.stringify(r.archived)}` : "";
  console.log(
    `${r.variant.padEnd(4)} archive ${r.archiveSeconds.toFixed(2).padStart(6)} s  CPU ${r.cpuSeconds.toFixed(2).padStart(6)} s = ${cpuPerGb(r).toFixed(2).padStart(6)} CPU s/GB csv` +
      ` (main thread ${r.mainCpuSeconds.toFixed(2)} s, other threads ${r.otherThreads.map((c) => c.toFixed(2)).join(" + ") || "none"} s, GC ${r.gc.count}x ${r.gc.seconds.toFixed(2)} s, of which mark-compact ${r.gc.major}x ${r.gc.majorSeconds.toFixed(2)} s)  ${(r.cpuSeconds / r.archiveSeconds).toFixed(2)} cores  csv ${mb(r.csvBytes).padStart(7)} MB  zip ${mb(r.archiveBytes).padStart(7)} MB  rows ${r.rows.toLocaleString("en-US")}` +
      `  through the worker: down ${mb(r.down).padStart(7)} MB, up ${mb(r.up).padStart(7)} MB (${((r.down + r.up) / r.archiveBytes).toFixed(2)}x the zip)  deliveries ${r.deliveries}  S3 transfer alone (the zip down and up): ${r.transferCpuSeconds.toFixed(2)} CPU s${extra}`,
  );
}

async function main(): Promise<void> {
  fs.mkdirSync(benchDir, { recursive: true });
  if (!fs.existsSync(dbPath)) {
    process.stdout.write(`seeding ${rows.toLocaleString("en-US")} rows into ${dbPath} ... `);
    console.log(`${(await seedWarehouse({ dbPath, rows })).seconds.toFixed(1)} s`);
  }
  const backend = await startBackend();
  // Into process.env: SST's linked resources (the AuthSecret) are read from there, as in Lambda.
  const env: Record<string, string | undefined> = Object.assign(process.env, backend.env, { LOG_LEVEL: "warn", ZIP_LEVEL: values.level! });
  const deps = await buildDeps(loadConfig(env), createLogger("warn", "bench"));
  const region = env.AWS_REGION!;
  const credentials = { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! };
  const sqs = new SQSClient({ region, endpoint: env.AWS_ENDPOINT_URL_SQS, credentials });
  // The same statement target and bucket as the deployment's warehouse, unloading plain CSV.
  const oldWarehouse = new RedshiftWarehouse({
    client: new RedshiftDataClient({ region, endpoint: env.AWS_ENDPOINT_URL_REDSHIFT_DATA, credentials }),
    target: { kind: "cluster", clusterIdentifier: env.REDSHIFT_CLUSTER_ID!, database: env.REDSHIFT_DATABASE!, secretArn: env.REDSHIFT_SECRET_ARN! },
    iamRoleArn: env.REDSHIFT_IAM_ROLE_ARN!,
    unloadBucket: env.UNLOAD_BUCKET!,
    unloadStore: deps.unloadStore,
    maxFileSizeMb: Math.max(5, Number(env.UNLOAD_MAX_FILE_MB ?? 256)),
    gzipCsv: false,
  });
  const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"]).toString().trim();
  const [load1, load5] = os.loadavg();
  console.log(
    `bench:export --backend aws rows=${rows.toLocaleString("en-US")} slices=${slices} zip level=${values.level} commit=${commit} cores=${os.cpus().length} node=${process.version} load average=${load1.toFixed(2)}/${load5.toFixed(2)}`,
  );
  console.log(
    `CPU: this process only (emulators and fake Redshift in a child process), query-finished -> ready; V8 heap growing percent ${HEAP_GROWING_PERCENT} for both archives (workers/heap.ts, set when workers/sqs.ts loads, as in the Lambda)\n`,
  );
  const results: Record<Variant, RunResult[]> = { old: [], new: [] };
  try {
    if (!values["no-warmup"]) {
      console.log("warm-up (not counted)");
      for (const v of variants) printRun(await runOnce(deps, backend, sqs, oldWarehouse, v, false));
    }
    for (let i = 0; i < runs; i++) {
      console.log(`run ${i + 1}`);
      // Alternate which goes first, so neither always runs on a warmer (or busier) machine.
      const order: Variant[] = i % 2 === 0 ? variants : [...variants].reverse();
      for (const v of order) {
        const r = await runOnce(deps, backend, sqs, oldWarehouse, v, values.profile === v && i === 0);
        results[v].push(r);
        printRun(r);
      }
    }
  } finally {
    sqs.destroy();
    await deps.close();
    await backend.stop();
  }
  console.log(`\nmedians of ${runs}`);
  if (variants.length < 2) {
    const v = variants[0];
    console.log(`${v} archive ${median(results[v].map((r) => r.archiveSeconds)).toFixed(2)} s  ${median(results[v].map(cpuPerGb)).toFixed(2)} CPU s/GB csv`);
    return;
  }
  const m = (v: Variant, f: (r: RunResult) => number) => median(results[v].map(f));
  for (const v of ["old", "new"] as const) {
    console.log(
      `${v.padEnd(4)} archive ${m(v, (r) => r.archiveSeconds).toFixed(2).padStart(6)} s  CPU ${m(v, (r) => r.cpuSeconds).toFixed(2).padStart(6)} s  ${m(v, cpuPerGb).toFixed(2).padStart(6)} CPU s/GB csv  through the worker ${mb(m(v, (r) => r.down + r.up)).padStart(7)} MB (down ${mb(m(v, (r) => r.down))}, up ${mb(m(v, (r) => r.up))})  zip ${mb(m(v, (r) => r.archiveBytes))} MB`,
    );
  }
  const ratio = (f: (r: RunResult) => number) =>
    `${(m("new", f) / m("old", f)).toFixed(2)} (per run: ${results.new.map((r, i) => (f(r) / f(results.old[i])).toFixed(2)).join(", ")})`;
  console.log(`ratio of medians new/old: archive seconds ${ratio((r) => r.archiveSeconds)}`);
  console.log(`                          CPU s per GB csv ${ratio(cpuPerGb)}   goal <= 0.25`);
  console.log(`                          bytes through the worker ${ratio((r) => r.down + r.up)}`);
  // The floor moved the zip down and up once; scaled to the bytes the new archive really moved.
  const floor = median(results.new.map((r) => (r.transferCpuSeconds * (r.down + r.up)) / (2 * r.archiveBytes)));
  console.log(
    `new archive's CPU ${m("new", (r) => r.cpuSeconds).toFixed(2)} s ~ S3 transfer of its ${mb(m("new", (r) => r.down + r.up))} MB alone ${floor.toFixed(2)} s (the zip-copy's CPU per byte, median) + the rest ${(m("new", (r) => r.cpuSeconds) - floor).toFixed(2)} s (inflate, CRC, record count, hashing, job store)`,
  );
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
