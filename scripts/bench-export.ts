// `npm run bench:export -- --rows N [--supplier sup_x] [--level 1]` – end-to-end export time against the shell baseline.
//
// Ours: request -> SQLite queue -> worker process (DuckDB COPY to parts, parts
// zipped into the archive store) -> ready, measured from the request to the
// ready state, with the worker's peak RSS read from /proc.
// Baseline, in the same run: DuckDB COPY of the same query to one CSV, then `zip -1`.
// Prints figures and the ratio; it never fails on absolute timings.
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { DuckDBInstance } from "@duckdb/node-api";
import { buildDeps, loadConfig } from "@/lib/config";
import { seedWarehouse } from "@/lib/adapters/local/seed-warehouse";
import { getDataset } from "@/lib/datasets/catalog";
import type { Actor } from "@/lib/exports/deps";
import { requestExport } from "@/lib/exports/service";
import { createLogger } from "@/lib/log";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "1000000" },
    supplier: { type: "string" },
    level: { type: "string", default: "1" },
    keep: { type: "boolean", default: false },
  },
});
const rows = Number(values.rows);
if (!Number.isInteger(rows) || rows <= 0) throw new Error("--rows must be a positive integer");

const benchDir = path.resolve(".bench");
const dbPath = path.join(benchDir, `warehouse-${rows}.duckdb`);
const admin: Actor = { userId: "usr_bench", email: "bench@acmeflowers.test", role: "admin", supplierId: null };

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

async function runOurs(): Promise<{ seconds: number; rows: number; inputBytes: number; archiveBytes: number; files: number; peakRss: number }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "pep-bench-"));
  const env = {
    ...process.env,
    DATA_DIR: dataDir,
    DUCKDB_PATH: dbPath,
    ZIP_LEVEL: values.level!,
    LOG_LEVEL: "info",
    AUTH_SECRET: "bench-secret-bench-secret-bench-secret-00",
    POLL_DELAY_SECONDS: "1",
  };
  const worker = spawn(process.execPath, ["--import", "tsx", "workers/main.ts"], { env, stdio: ["ignore", "pipe", "inherit"] });
  let started = false;
  worker.stdout.on("data", (c: Buffer) => {
    if (c.toString().includes("worker started")) started = true;
  });
  for (let i = 0; !started; i++) {
    if (i > 600) throw new Error("worker did not start");
    await sleep(50);
  }
  const config = loadConfig(env);
  const deps = buildDeps(config, createLogger("warn", "bench"));
  const params = {};
  const t0 = performance.now();
  const rec = await requestExport(deps, values.supplier ? { ...admin } : admin, {
    dataset: "product_inventory",
    params,
    notify: false,
    ...(values.supplier ? { supplierId: values.supplier } : {}),
  });
  let done = rec;
  for (;;) {
    done = (await deps.jobs.getExport(rec.id))!;
    if (["ready", "failed", "cancelled"].includes(done.status)) break;
    await sleep(10);
  }
  const seconds = (performance.now() - t0) / 1000;
  if (done.status !== "ready") throw new Error(`export ${done.status}: ${done.errorMessage}`);
  const peakRss = peakRssMb(worker.pid!);
  const steps = await deps.jobs.listSteps(rec.id);
  const finished = steps.find((s) => s.step === "query_finished")!;
  worker.kill("SIGTERM");
  await new Promise((r) => worker.on("exit", r));
  await deps.close();
  if (!values.keep) fs.rmSync(dataDir, { recursive: true, force: true });
  return { seconds, rows: done.rowCount!, inputBytes: Number(finished.detail.bytes), archiveBytes: done.archiveBytes!, files: done.fileCount!, peakRss };
}

async function runBaseline(): Promise<{ seconds: number; copySeconds: number; zipSeconds: number; inputBytes: number; archiveBytes: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pep-baseline-"));
  const csv = path.join(dir, "product_inventory.csv");
  const dataset = getDataset("product_inventory")!;
  const sql = dataset.buildQuery(dataset.paramsSchema.parse({}), values.supplier ? { kind: "supplier", supplierId: values.supplier } : { kind: "all" });
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

async function main(): Promise<void> {
  await ensureWarehouse();
  const scope = values.supplier ? `supplier ${values.supplier}` : "all suppliers (admin)";
  console.log(`bench:export rows=${rows.toLocaleString("en-US")} scope=${scope} zip level=${values.level} cores=${os.cpus().length}`);
  const base = await runBaseline();
  const ours = await runOurs();
  const line = (name: string, s: number, r: number, input: number, out: number, extra: string) =>
    console.log(
      `${name.padEnd(9)} ${s.toFixed(2).padStart(7)} s  ${Math.round(r / s).toLocaleString("en-US").padStart(11)} rows/s  ${(input / 1e6 / s).toFixed(1).padStart(7)} MB/s in  ${mb(input).padStart(8)} MB csv  ${mb(out).padStart(7)} MB zip  ${extra}`,
    );
  line("ours", ours.seconds, ours.rows, ours.inputBytes, ours.archiveBytes, `worker peak RSS ${ours.peakRss.toFixed(0)} MB, ${ours.files} part(s)`);
  line("baseline", base.seconds, ours.rows, base.inputBytes, base.archiveBytes, `COPY ${base.copySeconds.toFixed(2)} s + zip -1 ${base.zipSeconds.toFixed(2)} s`);
  console.log(`ratio ours/baseline: ${(ours.seconds / base.seconds).toFixed(2)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
