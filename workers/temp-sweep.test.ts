/**
 * Pins issue 12 finding 13: what a worker killed with -9 leaves in its
 * scratch folders (an archive temp file, spool folders) is swept, at the
 * runner's start and then periodically, while what a live archive is
 * writing is kept.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppDeps } from "@/lib/config";
import { makeLocalDeps, seededWarehouse } from "@/test/support/local-env";
import { runWorker } from "./runner";
import { sweepTempDirs } from "./temp-sweep";

let warehouse: { dbPath: string; dir: string };
let deps: AppDeps & { dataDir: string };
beforeAll(async () => {
  warehouse = await seededWarehouse(100);
  deps = await makeLocalDeps(warehouse.dbPath);
});
afterAll(async () => {
  await deps?.close();
  if (deps) await fs.rm(deps.dataDir, { recursive: true, force: true });
  if (warehouse) await fs.rm(warehouse.dir, { recursive: true, force: true });
});

const exists = (p: string) => fs.stat(p).then(() => true, () => false);

/** The leftovers of a killed worker (two hours old) and the files of a live archive (just written). */
async function leaveDebris(dataDir: string) {
  const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
  const deadSpool = path.join(dataDir, "spool", "zip-dead01");
  const deadTmp = path.join(dataDir, "archive-store", ".tmp", "3b0c-dead");
  const deadUnloadTmp = path.join(dataDir, "unload-store", ".tmp", "9f1e-dead");
  const liveSpool = path.join(dataDir, "spool", "zip-live01");
  const liveTmp = path.join(dataDir, "archive-store", ".tmp", "77aa-live");
  for (const d of [deadSpool, liveSpool, path.dirname(deadTmp), path.dirname(deadUnloadTmp)]) await fs.mkdir(d, { recursive: true });
  await fs.writeFile(path.join(deadSpool, "0.part"), "x".repeat(1000));
  await fs.writeFile(path.join(deadSpool, "1.part"), "x".repeat(1000));
  await fs.writeFile(deadTmp, "partial zip");
  await fs.writeFile(deadUnloadTmp, "partial");
  for (const p of [path.join(deadSpool, "0.part"), path.join(deadSpool, "1.part"), deadSpool, deadTmp, deadUnloadTmp]) await fs.utimes(p, twoHoursAgo, twoHoursAgo);
  // A live spool folder: created long ago (a big archive), but its newest part was just written.
  await fs.writeFile(path.join(liveSpool, "7.part"), "y");
  await fs.utimes(liveSpool, twoHoursAgo, twoHoursAgo);
  await fs.writeFile(liveTmp, "growing zip");
  return { dead: [deadSpool, deadTmp, deadUnloadTmp], live: [liveSpool, liveTmp] };
}

describe("sweepTempDirs", () => {
  it("removes entries untouched for the age limit and keeps those still being written", async () => {
    const { dead, live } = await leaveDebris(deps.dataDir);
    const removed = await sweepTempDirs(deps.settings.tempDirs, deps.settings.tempMaxAgeMs);
    expect(removed.sort()).toEqual([...dead].sort());
    for (const p of dead) expect(await exists(p), p).toBe(false);
    for (const p of live) expect(await exists(p), p).toBe(true);
    expect(await sweepTempDirs(["/nonexistent/folder"], 1)).toEqual([]);
  });

  it("runs when the worker starts", async () => {
    const { dead, live } = await leaveDebris(deps.dataDir);
    const controller = new AbortController();
    const running = runWorker(deps, { concurrency: 1, deliveryConcurrency: 1, signal: controller.signal, waitSeconds: 1, sweepIntervalMs: 0 });
    const deadline = Date.now() + 10_000;
    while ((await Promise.all(dead.map(exists))).some(Boolean)) {
      if (Date.now() > deadline) throw new Error("debris not swept at start");
      await new Promise((r) => setTimeout(r, 20));
    }
    controller.abort();
    await running;
    for (const p of live) expect(await exists(p), p).toBe(true);
  });
});
