/**
 * Fair share between suppliers, end to end in local mode with the real worker: supplier A queues
 * 30 exports, then supplier B queues one; B's starts among the first 3 exports started after it
 * was queued (without fair share it would wait for A's whole backlog).
 */
import fs from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppDeps } from "@/lib/config";
import type { ExportRecord } from "@/lib/exports/model";

import { runWorker } from "@/workers/runner";
import { makeLocalDeps, rose, seededWarehouse, tulip, requestExportAs } from "../../support/local-env";

let warehouse: { dbPath: string; dir: string };
let d: AppDeps;

beforeAll(async () => {
  warehouse = await seededWarehouse(5_000);
  d = await makeLocalDeps(warehouse.dbPath);
});

afterAll(async () => {
  await d.close();
  await fs.rm(warehouse.dir, { recursive: true, force: true });
});

async function startedAt(id: string): Promise<number | null> {
  const started = (await d.jobs.listSteps(id)).find((s) => s.step === "started");
  return started ? Date.parse(started.at) : null;
}

describe("fair share between suppliers", () => {
  it("one supplier's burst of 30 does not starve another's single export", async () => {
    const controller = new AbortController();
    const running = runWorker(d, { concurrency: 2, signal: controller.signal, waitSeconds: 1, sweepIntervalMs: 0, graceMs: 5_000 });
    try {
      const burst: ExportRecord[] = [];
      for (let i = 0; i < 30; i++) burst.push(await requestExportAs(d, rose, { dataset: "product_inventory", params: {} }));
      const single = await requestExportAs(d, tulip, { dataset: "product_inventory", params: {} });
      const queuedAt = Date.parse(single.createdAt);

      const all = [...burst, single];
      const deadline = Date.now() + 120_000;
      for (;;) {
        const done = await Promise.all(all.map((r) => d.jobs.getExport(r.id)));
        if (done.every((r) => r!.status === "ready")) break;
        if (Date.now() > deadline) throw new Error(`not all ready: ${done.filter((r) => r!.status !== "ready").length} left`);
        await new Promise((r) => setTimeout(r, 100));
      }

      const starts = await Promise.all(all.map(async (r) => ({ id: r.id, at: (await startedAt(r.id))! })));
      const singleAt = starts.find((s) => s.id === single.id)!.at;
      // A's exports that started after B's was queued and no later than B's (a tie in the millisecond clock counts against B).
      const ahead = starts.filter((s) => s.id !== single.id && s.at >= queuedAt && s.at <= singleAt);
      expect(ahead.length).toBeLessThan(3);
      // A's backlog was real: most of A's exports started after B's was queued.
      expect(starts.filter((s) => s.at >= queuedAt).length).toBeGreaterThan(20);
    } finally {
      controller.abort();
      await running;
    }
  }, 180_000);
});
