/**
 * Pins issue 12 finding 4 on the local backend: an export whose record was
 * written but whose queue message never was (the process died between the
 * two writes) is found by the requeue sweep, sent again and finished; until
 * then it counted toward the active limit and captured identical requests,
 * afterwards neither.
 */
import fs from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppDeps } from "@/lib/config";
import { requeueStaleExports } from "@/lib/exports/requeue";
import { submitExport } from "@/lib/exports/service";
import { requestAndDieBeforeSend } from "@/test/support/crash";
import { drain, makeLocalDeps, rose, seededWarehouse } from "@/test/support/local-env";

let warehouse: { dbPath: string; dir: string };
let deps: AppDeps & { dataDir: string };

beforeAll(async () => {
  warehouse = await seededWarehouse(300);
  deps = await makeLocalDeps(warehouse.dbPath, { REQUEUE_AFTER_SECONDS: "300" });
});
afterAll(async () => {
  await deps?.close();
  if (deps) await fs.rm(deps.dataDir, { recursive: true, force: true });
  if (warehouse) await fs.rm(warehouse.dir, { recursive: true, force: true });
});

describe("requeueStaleExports", () => {
  it("sends a never-sent export again once it is stale, and the worker finishes it", async () => {
    const body = { dataset: "product_detail", params: {}, notify: false };
    const id = await requestAndDieBeforeSend(deps, rose, body);
    expect(await deps.queue.depth()).toBe(0);
    expect((await deps.jobs.getExport(id))?.status).toBe("queued");
    expect(await deps.jobs.countActive("sup_rose")).toBe(1);
    const guards = { claims: deps.claims, limits: { maxActiveExportsPerSupplier: 5, idempotencyTtlSeconds: 3600 } };
    // Stuck, it captures an identical request.
    expect(await submitExport(deps, guards, rose, body)).toMatchObject({ outcome: "deduplicated", export: { id } });

    // Not stale yet: nothing is sent.
    expect(await requeueStaleExports(deps)).toBe(0);
    const realNow = deps.now;
    deps.now = () => new Date(Date.now() + 301_000);
    try {
      expect(await requeueStaleExports(deps)).toBe(1);
      // Sent once per period: a second sweep right after sends nothing.
      expect(await requeueStaleExports(deps)).toBe(0);
    } finally {
      deps.now = realNow;
    }
    const done = await drain(deps, id);
    expect(done.status).toBe("ready");
    const steps = await deps.jobs.listSteps(id);
    expect(steps.filter((s) => s.step === "queued").at(-1)?.detail).toMatchObject({ again: true });
    expect(await deps.jobs.countActive("sup_rose")).toBe(0);
    // Finished, it no longer captures identical requests.
    expect(await submitExport(deps, guards, rose, body)).toMatchObject({ outcome: "created" });
  });
});
