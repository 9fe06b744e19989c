// `npm run bench:export -- [--backend local|aws] --rows N [--runs 3] [--supplier sup_lily] [--level 1] [--no-api] [--build]` – export speed, memory and API latency under load.
//
// Ours: request -> SQLite queue -> worker process (DuckDB COPY to parts, parts
// zipped into the archive store) -> ready, measured from the request to the
// ready state, with the worker's peak RSS read from /proc (VmHWM).
// Baseline, in the same run: DuckDB COPY of the same query to one CSV, then `zip -1`.
// Ours and the baseline run interleaved `--runs` times (one run each is swamped by this shared
// machine's noise); each run is printed, then the medians and the ratio of the medians.
// `--variants ZIP_LEVEL=1,ZIP_LEVEL=6` runs ours once per listed worker setting in every round and
// prints the ratios of the later ones to the first, whole export and archive step alone.
// Then a supplier-filtered export (`--supplier`, default sup_lily: 2% of the rows), end to end.
// Then, unless --no-api: `next start` on a free port against the bench's DATA_DIR (run
// `next build` first, or pass --build), 50 connections x 10 s of GET /api/v1/exports/{id}
// with autocannon, idle and while the worker runs whole-table exports back to back
// (at the worker's default priority and at `nice -n 10`).
// Prints figures and ratios; it never fails on absolute timings.
import "./bench-export-backend"; // first: `--backend aws` runs scripts/bench-export-aws.ts instead
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { DuckDBInstance } from "@duckdb/node-api";
import autocannon from "autocannon";
import { encode } from "next-auth/jwt";
import { buildDeps, loadConfig, type AppConfig, type AppDeps } from "@/lib/config";
import { seedWarehouse } from "@/lib/adapters/local/seed-warehouse";
import { claimsFor, SESSION_MAX_AGE_SECONDS } from "@/lib/auth";
import { getDataset } from "@/lib/datasets/catalog";
import type { ExportDeps } from "@/lib/exports/deps";
import type { Actor } from "@/lib/core/actor";
import type { ExportRecord } from "@/lib/exports/model";
import { submitExport } from "@/lib/exports/service";
import { createLogger } from "@/lib/log";
import { createUser } from "@/lib/users/users";
import { median } from "./bench-util";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "1000000" },
    runs: { type: "string", default: "3" },
    variants: { type: "string", default: "" },
    supplier: { type: "string", default: "sup_lily" },
    level: { type: "string", default: "1" },
    keep: { type: "boolean", default: false },
    "no-api": { type: "boolean", default: false },
    build: { type: "boolean", default: false },
    "api-seconds": { type: "string", default: "10" },
    connections: { type: "string", default: "50" },
  },
});
const rows = Number(values.rows);
if (!Number.isInteger(rows) || rows <= 0) throw new Error("--rows must be a positive integer");
const apiSeconds = Number(values["api-seconds"]);
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs <= 0) throw new Error("--runs must be a positive integer");
/** Worker settings ("KEY=value") to run ours with; null = the defaults. */
const concurrencies: (string | null)[] = values.variants ? values.variants.split(",") : [null];
if (concurrencies.some((v) => v !== null && !/^[A-Z_]+=\S*$/.test(v))) throw new Error("--variants takes KEY=value settings, comma-separated");
const connections = Number(values.connections);

const benchDir = path.resolve(".bench");
const dbPath = path.join(benchDir, `warehouse-${rows}.duckdb`);
const workerLog = path.join(benchDir, "worker.log");
const admin: Actor = { userId: "usr_bench", email: "bench@acmeflowers.test", role: "admin", supplierId: null };
const AUTH_SECRET = "bench-secret-bench-secret-bench-secret-00";

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}

function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : NaN;
}

async function ensureWarehouse(): Promise<void> {
  fs.mkdirSync(benchDir, { recursive: true });
  if (fs.existsSync(dbPath)) return;
  process.stdout.write(`seeding ${rows.toLocaleString("en-US")} rows into ${dbPath} ... `);
  const r = await seedWarehouse({ dbPath, rows });
  console.log(`${r.seconds.toFixed(1)} s`);
}

/** One data folder shared by the worker, the web process and this script (SQLite job store and queue). */
function benchEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATA_DIR: dataDir,
    DUCKDB_PATH: dbPath,
    ZIP_LEVEL: values.level!,
    LOG_LEVEL: "info",
    AUTH_SECRET,
    POLL_DELAY_SECONDS: "1",
    ...extra,
  };
}

interface WorkerHandle {
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `workers/main.ts` (optionally under `nice`), its log appended to .bench/worker.log. */
async function startWorker(env: NodeJS.ProcessEnv, niceness = 0): Promise<WorkerHandle> {
  const node = [process.execPath, "--import", "tsx", "workers/main.ts"];
  const [cmd, ...args] = niceness ? ["nice", "-n", String(niceness), ...node] : node;
  const proc = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "inherit"] });
  const log = fs.createWriteStream(workerLog, { flags: "a" });
  let started = false;
  proc.stdout!.on("data", (c: Buffer) => {
    log.write(c);
    if (c.toString().includes("worker started")) started = true;
  });
  const exited = new Promise((r) => proc.once("exit", r));
  for (let i = 0; !started; i++) {
    if (i > 600 || proc.exitCode !== null) throw new Error("worker did not start");
    await sleep(50);
  }
  return {
    proc,
    async stop() {
      proc.kill("SIGTERM");
      await exited;
      log.end();
    },
  };
}

async function waitForExport(deps: ExportDeps, id: string): Promise<ExportRecord> {
  for (;;) {
    const rec = (await deps.jobs.getExport(id))!;
    if (["ready", "failed", "cancelled"].includes(rec.status)) return rec;
    await sleep(10);
  }
}

/** Through the API's request path (limits; a fresh Idempotency-Key, so back-to-back runs are not deduplicated). */
async function requestInventory(deps: AppDeps, supplierId: string | null): Promise<ExportRecord> {
  const body = { dataset: "product_inventory", params: {}, notify: false, ...(supplierId ? { supplierId } : {}) };
  return (await submitExport(deps, { claims: deps.claims, limits: deps.config.api }, admin, body, { idempotencyKey: randomUUID() })).export;
}

interface OursResult {
  seconds: number;
  rows: number;
  inputBytes: number;
  archiveBytes: number;
  files: number;
  peakRss: number;
  /** Seconds from the request to query_finished (the warehouse's part). */
  querySeconds: number;
}

/** One export in a fresh worker process, request to ready. */
async function runOurs(supplierId: string | null, variant: string | null = null): Promise<OursResult> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "pep-bench-"));
  const [key, value] = variant ? [variant.slice(0, variant.indexOf("=")), variant.slice(variant.indexOf("=") + 1)] : [];
  const env = benchEnv(dataDir, key ? { [key]: value! } : {});
  const worker = await startWorker(env);
  const deps = await buildDeps(loadConfig(env), createLogger("warn", "bench"));
  try {
    const t0 = performance.now();
    const rec = await requestInventory(deps, supplierId);
    const done = await waitForExport(deps, rec.id);
    const seconds = (performance.now() - t0) / 1000;
    if (done.status !== "ready") throw new Error(`export ${done.status}: ${done.errorMessage}`);
    const peakRss = peakRssMb(worker.proc.pid!);
    const steps = await deps.jobs.listSteps(rec.id);
    const finished = steps.find((s) => s.step === "query_finished")!;
    return {
      seconds,
      rows: done.rowCount!,
      inputBytes: Number(finished.detail.bytes),
      archiveBytes: done.archiveBytes!,
      files: done.fileCount!,
      peakRss,
      querySeconds: (Date.parse(finished.at) - Date.parse(done.createdAt)) / 1000,
    };
  } finally {
    await worker.stop();
    await deps.close();
    if (!values.keep) fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function runBaseline(supplierId: string | null): Promise<{ seconds: number; copySeconds: number; zipSeconds: number; inputBytes: number; archiveBytes: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pep-baseline-"));
  const csv = path.join(dir, "product_inventory.csv");
  const dataset = getDataset("product_inventory")!;
  const sql = dataset.buildQuery(dataset.paramsSchema.parse({}), supplierId ? { kind: "supplier", supplierId } : { kind: "all" });
  const t0 = performance.now();
  const db = await DuckDBInstance.create(dbPath, { access_mode: "READ_ONLY" });
  const con = await db.connect();
  await con.run(`COPY (${sql}) TO '${csv}' (HEADER)`);
  con.closeSync();
  db.closeSync();
  const t1 = performance.now();
  execFileSync("zip", ["-1", "-q", "-j", path.join(dir, "out.zip"), csv]);
  const t2 = performance.now();
  const result = {
    seconds: (t2 - t0) / 1000,
    copySeconds: (t1 - t0) / 1000,
    zipSeconds: (t2 - t1) / 1000,
    inputBytes: fs.statSync(csv).size,
    archiveBytes: fs.statSync(path.join(dir, "out.zip")).size,
  };
  fs.rmSync(dir, { recursive: true, force: true });
  return result;
}

/* ------------------------------------------------------------------ API load */

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Makes sure a production build exists. Other people may be building .next at the same time (next
 * refuses a second build): then wait for theirs, up to 5 minutes. False when there is none.
 */
async function ensureNextBuild(): Promise<boolean> {
  const buildId = path.resolve(".next", "BUILD_ID");
  if (!values.build && fs.existsSync(buildId)) return true;
  console.log("building the app (next build) ...");
  try {
    execFileSync("npx", ["next", "build"], { stdio: ["ignore", "ignore", "pipe"] });
    return true;
  } catch {
    console.log("next build failed (another build running?); waiting up to 5 min for .next/BUILD_ID ...");
    for (const deadline = Date.now() + 300_000; Date.now() < deadline; await sleep(2000)) {
      if (fs.existsSync(buildId)) {
        await sleep(5000); // let the other build finish writing
        return true;
      }
    }
    return false;
  }
}

async function startWeb(env: NodeJS.ProcessEnv, port: number): Promise<{ stop(): Promise<void> }> {
  const proc = spawn("npx", ["next", "start", "-p", String(port), "-H", "127.0.0.1"], {
    // The per-caller request limit (120 a minute) would answer most of the load with 429s: lift it
    // to measure the route itself.
    env: { ...env, NODE_ENV: "production", PUBLIC_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: "warn", API_RATE_LIMIT_PER_MINUTE: "100000" },
    stdio: ["ignore", "ignore", "inherit"],
    detached: true, // its own process group: npx, next and its children stop together
  });
  const exited = new Promise((r) => proc.once("exit", r));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error("next start exited");
    const ok = await fetch(`http://127.0.0.1:${port}/api/v1/datasets`).then(
      (r) => r.status < 500,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error("next start did not answer within 60 s");
    await sleep(200);
  }
  return {
    async stop() {
      process.kill(-proc.pid!, "SIGTERM");
      await exited;
    },
  };
}

interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function load(url: string, cookie: string): Promise<LoadResult> {
  const r = await autocannon({ url, connections, duration: apiSeconds, headers: { cookie } });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors + r.timeouts };
}

/** Whole-table exports one after another until `stop` resolves; returns how many finished. */
async function exportsBackToBack(deps: AppDeps, stop: Promise<unknown>): Promise<number> {
  let stopped = false;
  void stop.then(() => (stopped = true));
  let finished = 0;
  while (!stopped) {
    const rec = await requestInventory(deps, null);
    const done = await waitForExport(deps, rec.id);
    if (done.status !== "ready") throw new Error(`export ${done.status}: ${done.errorMessage}`);
    finished++;
  }
  return finished;
}

async function runApiLoad(): Promise<{ idle: LoadResult; busy: { niceness: number; load: LoadResult; exports: number }[] } | null> {
  if (!(await ensureNextBuild())) return null;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "pep-bench-api-"));
  const port = await freePort();
  const env = benchEnv(dataDir);
  const config: AppConfig = loadConfig(env);
  const deps = await buildDeps(config, createLogger("warn", "bench"));
  const web = await startWeb(env, port);
  try {
    const user = await createUser(deps.users, { email: "bench-admin@acmeflowers.test", password: "bench-password-123", role: "admin" });
    const token = await encode({ token: claimsFor(user, Math.floor(Date.now() / 1000)), secret: config.authSecret, maxAge: SESSION_MAX_AGE_SECONDS });
    const cookie = `next-auth.session-token=${token}`;
    const target = await requestInventory(deps, values.supplier!);
    const url = `http://127.0.0.1:${port}/api/v1/exports/${target.id}`;
    const probe = await fetch(url, { headers: { cookie } });
    if (probe.status !== 200) throw new Error(`GET ${url} answered ${probe.status}: ${await probe.text()}`);
    await load(url, cookie); // warm-up: route compilation caches, JIT
    const idle = await load(url, cookie);
    const busy = [];
    for (const niceness of [0, 10]) {
      const worker = await startWorker(env, niceness);
      try {
        const running = load(url, cookie);
        const exports = exportsBackToBack(deps, running);
        const [result, count] = await Promise.all([running, exports]);
        busy.push({ niceness, load: result, exports: count });
      } finally {
        await worker.stop();
      }
    }
    return { idle, busy };
  } finally {
    await web.stop();
    await deps.close();
    if (!values.keep) fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/* ---------------------------------------------------------------------- main */

async function main(): Promise<void> {
  await ensureWarehouse();
  fs.writeFileSync(workerLog, "");
  const [load1] = os.loadavg();
  console.log(
    `bench:export rows=${rows.toLocaleString("en-US")} zip level=${values.level} cores=${os.cpus().length} node=${process.version} load average=${load1.toFixed(2)}`,
  );
  const line = (name: string, s: number, r: number, input: number, out: number, extra: string) =>
    console.log(
      `${name.padEnd(9)} ${s.toFixed(2).padStart(7)} s  ${Math.round(r / s).toLocaleString("en-US").padStart(11)} rows/s  ${(input / 1e6 / s).toFixed(1).padStart(7)} MB/s in  ${mb(input).padStart(8)} MB csv  ${mb(out).padStart(7)} MB zip  ${extra}`,
    );

  console.log(`\nwhole table (admin, all suppliers), ${runs} interleaved run(s)`);
  const oursName = (v: string | null) => (v === null ? "ours" : `ours ${v}`);
  const oursRuns = new Map<string | null, OursResult[]>(concurrencies.map((c) => [c, []]));
  const baseRuns: Awaited<ReturnType<typeof runBaseline>>[] = [];
  for (let i = 0; i < runs; i++) {
    console.log(`run ${i + 1}`);
    const base = await runBaseline(null);
    baseRuns.push(base);
    let rowsSeen = 0;
    for (const c of concurrencies) {
      const ours = await runOurs(null, c);
      oursRuns.get(c)!.push(ours);
      rowsSeen = ours.rows;
      line(oursName(c), ours.seconds, ours.rows, ours.inputBytes, ours.archiveBytes, `worker peak RSS ${ours.peakRss.toFixed(0)} MB, ${ours.files} part(s), query finished at ${ours.querySeconds.toFixed(2)} s, archive ${(ours.seconds - ours.querySeconds).toFixed(2)} s`);
    }
    line("baseline", base.seconds, rowsSeen, base.inputBytes, base.archiveBytes, `COPY ${base.copySeconds.toFixed(2)} s + zip -1 ${base.zipSeconds.toFixed(2)} s`);
  }
  const baseMedian = median(baseRuns.map((b) => b.seconds));
  console.log(`medians of ${runs}`);
  for (const c of concurrencies) {
    const results = oursRuns.get(c)!;
    const m = median(results.map((r) => r.seconds));
    const rss = median(results.map((r) => r.peakRss));
    console.log(`${oursName(c).padEnd(9)} ${m.toFixed(2).padStart(7)} s  worker peak RSS ${rss.toFixed(0)} MB   ratio of medians ours/baseline: ${(m / baseMedian).toFixed(2)}  (per run: ${results.map((r, i) => (r.seconds / baseRuns[i].seconds).toFixed(2)).join(", ")})`);
  }
  console.log(`${"baseline".padEnd(9)} ${baseMedian.toFixed(2).padStart(7)} s`);
  if (concurrencies.length > 1) {
    const [first, ...rest] = concurrencies;
    const firstMedian = median(oursRuns.get(first)!.map((r) => r.seconds));
    for (const c of rest) {
      const perRun = oursRuns.get(c)!.map((r, i) => r.seconds / oursRuns.get(first)!.at(i)!.seconds);
      console.log(`${oursName(c)} / ${oursName(first)}: ratio of medians ${(median(oursRuns.get(c)!.map((r) => r.seconds)) / firstMedian).toFixed(3)}, median of per-run ratios ${median(perRun).toFixed(3)} (${perRun.map((r) => r.toFixed(3)).join(", ")})`);
      // The window only changes the archive step (query_finished -> ready): compare that alone too.
      const archive = (r: OursResult) => r.seconds - r.querySeconds;
      const perRunArchive = oursRuns.get(c)!.map((r, i) => archive(r) / archive(oursRuns.get(first)!.at(i)!));
      console.log(`  archive step only: medians ${median(oursRuns.get(first)!.map(archive)).toFixed(2)} s vs ${median(oursRuns.get(c)!.map(archive)).toFixed(2)} s, median of per-run ratios ${median(perRunArchive).toFixed(3)} (${perRunArchive.map((r) => r.toFixed(3)).join(", ")})`);
    }
  }
  const ours = oursRuns.get(concurrencies[0])!.at(-1)!;

  console.log(`\nsupplier ${values.supplier} (one supplier's rows)`);
  const supplierRuns: OursResult[] = [];
  for (let i = 0; i < 3; i++) supplierRuns.push(await runOurs(values.supplier!));
  const sup = supplierRuns.find((r) => r.seconds === median(supplierRuns.map((x) => x.seconds)))!;
  const supBase = await runBaseline(values.supplier!);
  line("ours", sup.seconds, sup.rows, sup.inputBytes, sup.archiveBytes, `median of 3 (${supplierRuns.map((r) => r.seconds.toFixed(2)).join(", ")} s), ${((100 * sup.rows) / ours.rows).toFixed(1)}% of rows, worker peak RSS ${sup.peakRss.toFixed(0)} MB`);
  line("baseline", supBase.seconds, sup.rows, supBase.inputBytes, supBase.archiveBytes, `COPY ${supBase.copySeconds.toFixed(2)} s + zip -1 ${supBase.zipSeconds.toFixed(2)} s`);

  if (!values["no-api"]) {
    console.log(`\nAPI: GET /api/v1/exports/{id}, ${connections} connections x ${apiSeconds} s (autocannon, next start)`);
    const api = await runApiLoad();
    if (!api) {
      console.log("no .next build: API load skipped (run `npx next build`, or pass --build)");
      return;
    }
    const show = (name: string, r: LoadResult) =>
      console.log(`${name.padEnd(34)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${String(r.p50).padStart(4)} ms  p99 ${String(r.p99).padStart(4)} ms  non-2xx ${r.non2xx}  errors ${r.errors}`);
    show("idle", api.idle);
    for (const b of api.busy) show(`during exports (worker nice ${b.niceness}, ${b.exports} done)`, b.load);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
