/**
 * The long-running worker loop on the local backend: it runs exports to
 * ready, stops when asked, releases a message it could not finish within the
 * grace period, and the real `npm run worker` process exits cleanly on SIGTERM.
 */
import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppDeps } from "@/lib/config";
import { makeLocalDeps, requestExportAs, rose, seededWarehouse } from "@/test/support/local-env";
import { runWorker } from "./runner";

let warehouse: { dbPath: string; dir: string };
const opened: AppDeps[] = [];

beforeAll(async () => {
  warehouse = await seededWarehouse(5_000);
});
afterAll(async () => {
  for (const d of opened) await d.close();
  await fs.rm(warehouse.dir, { recursive: true, force: true });
});

async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("runWorker", () => {
  it("runs queued exports to ready with two slots, then stops when aborted", async () => {
    const d = await makeLocalDeps(warehouse.dbPath, { VISIBILITY_SECONDS: "30" });
    opened.push(d);
    const controller = new AbortController();
    const running = runWorker(d, { concurrency: 2, signal: controller.signal, waitSeconds: 1, sweepIntervalMs: 0 });
    const a = await requestExportAs(d, rose, { dataset: "product_detail", params: {} });
    const b = await requestExportAs(d, rose, { dataset: "product_inventory", params: { warehouse: "Rotterdam" } });
    for (const id of [a.id, b.id]) {
      await until(`${id} ready`, async () => (await d.jobs.getExport(id))?.status === "ready");
    }
    controller.abort();
    await running;
    expect(await d.queue.depth()).toBe(0);
  });

  it("releases a message it cannot finish within the grace period, for another worker", async () => {
    const d = await makeLocalDeps(warehouse.dbPath, { VISIBILITY_SECONDS: "30" });
    opened.push(d);
    let unblock!: () => void;
    const blocked = new Promise<void>((r) => (unblock = r));
    let reached = false;
    // Hold the worker inside its first step, as a long archive would.
    const realGet = d.jobs.getExport.bind(d.jobs);
    d.jobs.getExport = async (id) => {
      if (!reached) {
        reached = true;
        await blocked;
      }
      return realGet(id);
    };
    const controller = new AbortController();
    const running = runWorker(d, { concurrency: 1, signal: controller.signal, waitSeconds: 1, sweepIntervalMs: 0, graceMs: 200 });
    const rec = await requestExportAs(d, rose, { dataset: "product_detail", params: {} });
    await until("the worker to pick the message", async () => reached);
    controller.abort();
    await running;
    // Released with no delay: visible again at once, though its first delivery never finished.
    const [again] = await d.queue.receive({ max: 1, waitSeconds: 0, visibilitySeconds: 30 });
    expect(again?.body).toMatchObject({ exportId: rec.id });
    expect(again?.receiveCount).toBe(2);
    unblock();
  });
});

describe("npm run worker", () => {
  it("exits 0 on SIGTERM", async () => {
    const dataDir = await fs.mkdtemp("/tmp/pep-worker-proc-");
    const child = spawn(process.execPath, ["--import", "tsx", "workers/main.ts"], {
      env: { ...process.env, DATA_DIR: dataDir, DUCKDB_PATH: warehouse.dbPath, LOG_LEVEL: "info", AUTH_SECRET: "worker-test-secret-worker-test-secret-00" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    await until("worker started", async () => out.includes("worker started"));
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    const lines = out.trim().split("\n").map((l) => JSON.parse(l) as { msg: string });
    expect(lines.map((l) => l.msg)).toContain("worker stopped");
    await fs.rm(dataDir, { recursive: true, force: true });
  });
});
