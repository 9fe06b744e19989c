/**
 * Export outcomes reach their subscribers through `ExportDeps.outcomeHooks`,
 * composed in lib/config.ts: the worker awaits each hook after the email, a
 * hook that throws turns the delivery into a retry, and the redelivery calls
 * every hook again (at least once), so nothing is lost when a subscriber's
 * store is briefly down.
 */
import fs from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppDeps } from "@/lib/config";
import type { ExportOutcomeHook } from "@/lib/exports/deps";
import type { ExportStatus } from "@/lib/exports/model";
import { drain, makeLocalDeps, requestExportAs, rose, seededWarehouse } from "@/test/support/local-env";

let warehouse: { dbPath: string; dir: string };
let deps: AppDeps & { dataDir: string };

beforeAll(async () => {
  warehouse = await seededWarehouse(300);
  deps = await makeLocalDeps(warehouse.dbPath);
});

afterAll(async () => {
  await deps?.close();
  if (deps) await fs.rm(deps.dataDir, { recursive: true, force: true });
  if (warehouse) await fs.rm(warehouse.dir, { recursive: true, force: true });
});

describe("export outcome hooks", () => {
  it("lib/config.ts composes the webhooks and the schedules subscribers", () => {
    expect(deps.outcomeHooks.map((h) => h.name)).toEqual(["webhooks", "schedules"]);
  });

  it("awaits each hook in order after the email; a hook that throws makes a retry, and the redelivery calls every hook again", async () => {
    const calls: { hook: string; exportId: string; status: ExportStatus; mailed: boolean }[] = [];
    let failuresLeft = 1;
    const mailedFor = async (id: string) => ((await deps.mailer.listSent(100)) ?? []).some((m) => m.text.includes(id));
    const flaky: ExportOutcomeHook = {
      name: "flaky",
      exportFinished: async (rec) => {
        calls.push({ hook: "flaky", exportId: rec.id, status: rec.status, mailed: await mailedFor(rec.id) });
        if (failuresLeft-- > 0) throw new Error("subscriber store unavailable");
      },
    };
    const after: ExportOutcomeHook = {
      name: "after",
      exportFinished: async (rec) => {
        calls.push({ hook: "after", exportId: rec.id, status: rec.status, mailed: await mailedFor(rec.id) });
      },
    };
    const composed = deps.outcomeHooks;
    deps.outcomeHooks = [flaky, after];
    try {
      const rec = await requestExportAs(deps, rose, { dataset: "product_inventory", params: {}, notify: true });
      const done = await drain(deps, rec.id);
      expect(done.status).toBe("ready");
      // First delivery: flaky throws, so "after" is not reached; the retry calls both, in order.
      expect(calls).toEqual([
        { hook: "flaky", exportId: rec.id, status: "ready", mailed: true },
        { hook: "flaky", exportId: rec.id, status: "ready", mailed: true },
        { hook: "after", exportId: rec.id, status: "ready", mailed: true },
      ]);
      // The email went out once although the outcome was announced twice.
      const mails = ((await deps.mailer.listSent(100)) ?? []).filter((m) => m.text.includes(rec.id));
      expect(mails).toHaveLength(1);
      expect((await deps.jobs.listSteps(rec.id)).filter((s) => s.step === "retrying").map((s) => s.detail.message)).toEqual(["subscriber store unavailable"]);
    } finally {
      deps.outcomeHooks = composed;
    }
  });
});
