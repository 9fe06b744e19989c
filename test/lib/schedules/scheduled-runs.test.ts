/**
 * Scheduled runs end to end on the local backend: real DuckDB, SQLite, the
 * worker's steps, the delivery lane and a real SFTP server (ssh2). The app's
 * clock and the warehouse's clock are injected, so the tests can put rows
 * exactly on a window's boundary and drive a schedule through days and a DST change.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFinished } from "vitest";
import { createWebhookEndpoint } from "@/lib/webhooks/endpoints";
import { buildDeps, type AppDeps } from "@/lib/config";
import { createLogger } from "@/lib/log";
import { parseCsv } from "@/e2e/helpers/zip";
import { tickSchedules, type SchedulingDeps } from "@/lib/schedules/runs";
import { cancelExport } from "@/lib/exports/service";
import { createDestination, createSchedule, getSchedule, runScheduleNow, testDestination } from "@/lib/schedules/service";
import type { ScheduleStore } from "@/lib/ports";
import { handleQueueMessage } from "@/workers/dispatch";
import { handleDeliveryMessage } from "@/workers/delivery-dispatch";
import { makeLocalDeps, rose, seededWarehouse } from "@/test/support/local-env";
import { startSftpServer, type TestSftpServer } from "@/test/support/sftp-server";
import { countInventoryBefore, insertInventoryRows } from "@/test/support/warehouse-rows";

let wh: { dbPath: string; dir: string };
let sftp: TestSftpServer;
let deps: AppDeps & { dataDir: string };
let clock: Date;
let warehouseClock: Date;

function scheduling(d: AppDeps = deps): SchedulingDeps {
  return { ...d, schedules: d.schedules! };
}

/** New inventory rows for sup_rose, stamped `updatedAt` (the warehouse's own clock, as a real loader would stamp them). */
const insertInventory = (rows: { sku: string; updatedAt: string }[]) => insertInventoryRows(wh.dbPath, rows);

/** Works both lanes until neither has a message left (retries are sent with no delay in these tests). */
async function drainAll(d: AppDeps = deps, opts: { hooks?: { onExport?: () => Promise<void> } } = {}): Promise<void> {
  for (let idle = 0; idle < 3; ) {
    const [msg] = await d.queue.receive({ max: 1, waitSeconds: 0, visibilitySeconds: 30 });
    if (msg) {
      await opts.hooks?.onExport?.();
      const out = await handleQueueMessage(d, msg.body, { receiveCount: msg.receiveCount });
      if (out.kind === "done") await d.queue.ack(msg.receipt);
      else await d.queue.release(msg.receipt, 0);
      idle = 0;
      continue;
    }
    const [delivery] = await d.deliveryQueue.receive({ max: 1, waitSeconds: 0, visibilitySeconds: 30 });
    if (delivery) {
      const out = await handleDeliveryMessage(d, delivery.body);
      if (out.kind === "done") await d.deliveryQueue.ack(delivery.receipt);
      else await d.deliveryQueue.release(delivery.receipt, 0);
      idle = 0;
      continue;
    }
    idle = (await d.queue.depth()) + (await d.deliveryQueue.depth()) === 0 ? idle + 1 : 0;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The CSV rows of one delivered zip on the SFTP server (header dropped). */
async function deliveredRows(file: string): Promise<string[][]> {
  const csv = execFileSync("unzip", ["-p", path.join(sftp.root, file)], { encoding: "utf8", maxBuffer: 64 << 20 });
  return parseCsv(csv).slice(1).filter((r) => r.length > 1);
}

const roseRowsBefore = (instant: string) => countInventoryBefore(wh.dbPath, "sup_rose", instant);

beforeAll(async () => {
  wh = await seededWarehouse(400);
  sftp = await startSftpServer();
});
afterAll(async () => {
  await sftp.close();
  await fs.rm(wh.dir, { recursive: true, force: true });
});

beforeEach(async () => {
  deps = await makeLocalDeps(wh.dbPath, { DESTINATION_RETRY_BASE_SECONDS: "0", DESTINATION_MAX_ATTEMPTS: "2", LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent" });
  clock = new Date("2026-03-01T04:00:00.000Z");
  warehouseClock = new Date("2026-03-01T05:00:00.000Z");
  deps.now = () => new Date(clock);
  deps.warehouse.currentTime = async () => new Date(warehouseClock);
  return async () => {
    await deps.close();
    await fs.rm(deps.dataDir, { recursive: true, force: true });
  };
});

describe("incremental schedule delivered to SFTP", () => {
  it("sends every row exactly once across runs: boundary rows, rows added between runs and during a run; a failed push re-sends its rows", async () => {
    const dest = await createDestination(scheduling(), rose, {
      kind: "sftp",
      name: "ERP drop",
      host: sftp.host,
      port: sftp.port,
      username: sftp.username,
      password: sftp.password,
      directory: "incoming/acme",
    });
    // Test connection writes and deletes a file, and pins the host key seen on first use.
    const probe = await testDestination(scheduling(), rose, dest.id);
    expect(probe).toMatchObject({ ok: true, hostKeyFingerprint: sftp.fingerprint });
    expect(await sftp.listFiles()).toEqual([]);
    expect(JSON.stringify(await deps.schedules!.store.getDestination(dest.id))).not.toContain(sftp.password);

    // A webhook endpoint of rose's, to see `export.delivered` fire for a delivered run (and not for the failed push).
    const hooks: { type: string; exportId: string }[] = [];
    const receiver = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        const parsed = JSON.parse(body) as { type: string; data: { export: { id: string } } };
        hooks.push({ type: parsed.type, exportId: parsed.data.export.id });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    onTestFinished(() => new Promise<void>((r) => receiver.close(() => r())));
    await createWebhookEndpoint(deps, rose, { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`, events: ["export.delivered"] });

    const { schedule } = await createSchedule(scheduling(), rose, {
      name: "Morning stock",
      request: { dataset: "product_inventory", params: {}, format: "csv", notify: false },
      cadence: { kind: "daily", time: "06:00" },
      timezone: "Europe/Amsterdam",
      incremental: true,
      destinationIds: [dest.id],
    });
    expect(schedule.nextRunAt).toBe("2026-03-01T05:00:00.000Z");

    const T1 = "2026-03-01T05:00:00.000Z";
    // Just inside run 1, and exactly on its end (half-open: belongs to run 2).
    await insertInventory([
      { sku: "NEW-BEFORE-T1", updatedAt: "2026-03-01T04:59:59.999Z" },
      { sku: "AT-T1", updatedAt: T1 },
    ]);
    const seeded = (await roseRowsBefore(T1)) - 1;

    // ---- run 1: [beginning, T1); rows land in the warehouse while its statement runs.
    clock = new Date("2026-03-01T05:00:20.000Z");
    expect((await tickSchedules(scheduling())).outcomes).toEqual({ [schedule.id]: "started" });
    let inserted = false;
    await drainAll(deps, {
      hooks: {
        onExport: async () => {
          if (inserted) return;
          inserted = true;
          warehouseClock = new Date("2026-03-01T05:00:01.000Z");
          await insertInventory([{ sku: "DURING-RUN-1", updatedAt: warehouseClock.toISOString() }]);
        },
      },
    });
    let files = (await sftp.listFiles()).filter((f) => f.endsWith(".zip"));
    expect(files).toHaveLength(1);
    const run1 = await deliveredRows(files[0]!);
    expect(run1.length).toBe(seeded + 1);
    expect(run1.some((r) => r[0] === "NEW-BEFORE-T1")).toBe(true);
    expect(run1.some((r) => r[0] === "AT-T1" || r[0] === "DURING-RUN-1")).toBe(false);
    let s = (await getSchedule(scheduling(), rose, schedule.id)).schedule;
    expect(s).toMatchObject({ cursor: T1, lastRunStatus: "delivered", pendingRun: null, nextRunAt: "2026-03-02T05:00:00.000Z" });
    const fingerprintAfter = (await deps.schedules!.store.getDestination(dest.id))!.config;
    expect(fingerprintAfter).toMatchObject({ hostKeyFingerprint: sftp.fingerprint });

    // ---- between runs: two more rows; one exactly on run 2's end.
    const T2 = "2026-03-02T05:00:00.000Z";
    await insertInventory([
      { sku: "BETWEEN-1-2", updatedAt: "2026-03-01T12:00:00.000Z" },
      { sku: "AT-T2", updatedAt: T2 },
    ]);
    clock = new Date("2026-03-02T05:00:30.000Z");
    warehouseClock = new Date(T2);
    expect((await tickSchedules(scheduling())).outcomes).toEqual({ [schedule.id]: "started" });
    await drainAll();
    const run1File = files[0]!;
    files = (await sftp.listFiles()).filter((f) => f.endsWith(".zip"));
    expect(files).toHaveLength(2);
    const run2 = await deliveredRows(files.find((f) => f !== run1File)!);
    expect(run2.map((r) => r[0]).sort()).toEqual(["AT-T1", "BETWEEN-1-2", "DURING-RUN-1"]);
    s = (await getSchedule(scheduling(), rose, schedule.id)).schedule;
    expect(s).toMatchObject({ cursor: T2, lastRunStatus: "delivered" });

    // ---- run 3: the server refuses the login on both attempts: the export is ready, the push failed, the cursor stays.
    await insertInventory([{ sku: "BETWEEN-2-3", updatedAt: "2026-03-02T18:00:00.000Z" }]);
    sftp.refuseLogins = true;
    clock = new Date("2026-03-03T05:00:10.000Z");
    warehouseClock = new Date("2026-03-03T05:00:00.000Z");
    await tickSchedules(scheduling());
    await drainAll();
    s = (await getSchedule(scheduling(), rose, schedule.id)).schedule;
    expect(s).toMatchObject({ cursor: T2, lastRunStatus: "failed", pendingRun: null });
    const run3 = await deps.jobs.getExport(s.lastExportId!);
    expect(run3).toMatchObject({ status: "ready", scheduleId: schedule.id, rowCount: 2 });
    const [failedDelivery] = await deps.schedules!.store.listDeliveriesForExport(run3!.id);
    expect(failedDelivery).toMatchObject({ status: "failed", attempts: 1 });
    expect(failedDelivery!.log[0]!.message).toMatch(/refused the user name and password/);
    const mails = (await deps.mailer.listSent(20))!.filter((m) => m.subject.startsWith("Delivery to ERP drop failed"));
    expect(mails).toHaveLength(1);

    // ---- run 4 ("Run now"): the server is back; the window starts at the unchanged cursor, so run 3's rows come again.
    sftp.refuseLogins = false;
    clock = new Date("2026-03-03T09:00:00.000Z");
    warehouseClock = new Date("2026-03-03T09:00:00.000Z");
    await runScheduleNow(scheduling(), rose, schedule.id);
    await tickSchedules(scheduling());
    await drainAll();
    s = (await getSchedule(scheduling(), rose, schedule.id)).schedule;
    expect(s).toMatchObject({ cursor: "2026-03-03T09:00:00.000Z", lastRunStatus: "delivered" });
    const run4 = await deps.jobs.getExport(s.lastExportId!);
    expect(run4?.params).toEqual({ updatedSince: T2, updatedBefore: "2026-03-03T09:00:00.000Z" });
    files = (await sftp.listFiles()).filter((f) => f.endsWith(".zip"));
    expect(files).toHaveLength(3);
    const all = await Promise.all(files.map(deliveredRows));
    const keys = all.flat().map((r) => `${r[0]}|${r[3]}|${r[7]}`);
    // Every rose row stamped before the last cursor arrived exactly once (run 3's push never arrived).
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.length).toBe(await roseRowsBefore("2026-03-03T09:00:00.000Z"));
    expect(all.map((rows) => rows.length).sort((a, b) => a - b)).toEqual([2, 3, seeded + 1].sort((a, b) => a - b));
    // export.delivered fired once per delivered run (1, 2 and 4), never for run 3 whose push failed.
    const delivered = [s.lastExportId, run3!.id];
    expect(hooks.filter((h) => h.type === "export.delivered")).toHaveLength(3);
    expect(hooks.map((h) => h.exportId)).toContain(delivered[0]);
    expect(hooks.map((h) => h.exportId)).not.toContain(delivered[1]);
    // No half-written temp files left behind.
    expect((await sftp.listFiles()).filter((f) => f.includes(".part"))).toEqual([]);
  });
});

describe("scheduler ticks", () => {
  async function dailySchedule() {
    return (
      await createSchedule(scheduling(), rose, {
        name: "Daily",
        request: { dataset: "product_inventory", params: { skus: ["FLOWER12"] }, notify: false },
        cadence: { kind: "daily", time: "06:00" },
        timezone: "Europe/Amsterdam",
      })
    ).schedule;
  }

  it("runs a schedule missed for three days once, then waits for its next slot", async () => {
    const s = await dailySchedule();
    clock = new Date("2026-03-04T09:30:00.000Z"); // slots of 1, 2, 3 and 4 March all passed
    const report = await tickSchedules(scheduling());
    expect(report).toEqual({ due: 1, outcomes: { [s.id]: "started" } });
    expect(await tickSchedules(scheduling())).toEqual({ due: 0, outcomes: {} });
    const after = (await getSchedule(scheduling(), rose, s.id)).schedule;
    expect(after.nextRunAt).toBe("2026-03-05T05:00:00.000Z");
    const runs = await deps.jobs.listExports({ supplierId: "sup_rose", limit: 100 });
    expect(runs.items.filter((e) => e.scheduleId === s.id)).toHaveLength(1);
  });

  it("two schedulers ticking at once (two processes on one SQLite file) start one run", async () => {
    const s = await dailySchedule();
    const other = await buildDeps(deps.config, createLogger("silent", "second-process"));
    other.now = deps.now;
    other.warehouse.currentTime = deps.warehouse.currentTime;
    // Both list the schedule as due before either claims it.
    let listed = 0;
    let release!: () => void;
    const bothListed = new Promise<void>((r) => (release = r));
    const barrier = (store: ScheduleStore): ScheduleStore =>
      Object.assign(Object.create(store) as ScheduleStore, {
        listDue: async (now: string, limit: number) => {
          const due = await store.listDue(now, limit);
          if (++listed === 2) release();
          await bothListed;
          return due;
        },
      });
    clock = new Date("2026-03-01T05:00:05.000Z");
    const [a, b] = await Promise.all([
      tickSchedules({ ...scheduling(), schedules: { ...deps.schedules!, store: barrier(deps.schedules!.store) } }),
      tickSchedules({ ...scheduling(other), schedules: { ...other.schedules!, store: barrier(other.schedules!.store) } }),
    ]);
    expect([a.outcomes[s.id], b.outcomes[s.id]].sort()).toEqual(["lost-race", "started"]);
    const runs = (await deps.jobs.listExports({ supplierId: "sup_rose", limit: 100 })).items.filter((e) => e.scheduleId === s.id);
    expect(runs).toHaveLength(1);
    expect(await deps.queue.depth()).toBe(1);
    await other.close();
  });

  it("a scheduler that dies after claiming a slot is taken over after the lease, with the same export", async () => {
    const s = await dailySchedule();
    clock = new Date("2026-03-01T05:00:05.000Z");
    // The claim is written, then the queue is down: the submit fails after the claim (a process dying there leaves the same state).
    const send = deps.queue.send.bind(deps.queue);
    deps.queue.send = async () => {
      throw new Error("queue down");
    };
    expect((await tickSchedules(scheduling())).outcomes[s.id]).toBe("retry-later");
    deps.queue.send = send;
    let after = (await getSchedule(scheduling(), rose, s.id)).schedule;
    expect(after.pendingRun).toMatchObject({ slot: "2026-03-01T05:00:00.000Z", exportId: null });
    expect(after.lastRunError).toMatch(/queue is unavailable/);
    expect(await tickSchedules(scheduling())).toEqual({ due: 0, outcomes: {} }); // still within the retry delay
    clock = new Date("2026-03-01T05:01:10.000Z");
    expect((await tickSchedules(scheduling())).outcomes[s.id]).toBe("started");
    after = (await getSchedule(scheduling(), rose, s.id)).schedule;
    expect(after).toMatchObject({ nextRunAt: "2026-03-02T05:00:00.000Z", lastRunStatus: "queued" });
  });

  it("settles a cancelled run at once, without waiting for the next tick, and keeps the cursor", async () => {
    const { schedule } = await createSchedule(scheduling(), rose, {
      name: "Cancelled",
      request: { dataset: "product_inventory", params: { skus: ["FLOWER12"] }, notify: false },
      cadence: { kind: "daily", time: "06:00" },
      timezone: "Europe/Amsterdam",
      incremental: true,
    });
    clock = new Date("2026-03-01T05:00:10.000Z");
    expect((await tickSchedules(scheduling())).outcomes[schedule.id]).toBe("started");
    const running = (await getSchedule(scheduling(), rose, schedule.id)).schedule;
    expect(running.pendingRun?.exportId).toEqual(expect.any(String));
    await cancelExport(deps, rose, running.pendingRun!.exportId!);
    // No tick and no worker in between: the cancel itself settled the run.
    const after = (await getSchedule(scheduling(), rose, schedule.id)).schedule;
    expect(after).toMatchObject({ pendingRun: null, lastRunStatus: "cancelled", cursor: running.cursor, lastRunError: "The run was cancelled." });
  });

  it("settles a run whose export finished before the scheduler recorded its id (a worker faster than the tick's last write)", async () => {
    const { schedule } = await createSchedule(scheduling(), rose, {
      name: "Fast",
      request: { dataset: "product_inventory", params: { skus: ["FLOWER12"] }, notify: false },
      cadence: { kind: "daily", time: "06:00" },
      timezone: "Europe/Amsterdam",
      incremental: true,
    });
    const store = deps.schedules!.store;
    const real = store.updateSchedule.bind(store);
    store.updateSchedule = async (id, cond, patch) => {
      if (patch.pendingRun?.exportId) await drainAll(); // the whole export runs before this write lands
      return real(id, cond, patch);
    };
    clock = new Date("2026-03-01T05:00:10.000Z");
    expect((await tickSchedules(scheduling())).outcomes[schedule.id]).toBe("started");
    store.updateSchedule = real;
    const after = (await getSchedule(scheduling(), rose, schedule.id)).schedule;
    expect(after).toMatchObject({ pendingRun: null, lastRunStatus: "ready", cursor: warehouseClock.toISOString() });
  });

  it("follows the supplier's time zone through the spring DST change (06:00 Amsterdam = 05:00Z, then 04:00Z)", async () => {
    clock = new Date("2026-03-27T12:00:00.000Z");
    const s = await dailySchedule();
    const startedAt: string[] = [];
    for (let i = 0; i < 4; i++) {
      const due = (await getSchedule(scheduling(), rose, s.id)).schedule.nextRunAt!;
      clock = new Date(Date.parse(due) - 1000);
      expect((await tickSchedules(scheduling())).due).toBe(0); // a second early: nothing
      clock = new Date(due);
      expect((await tickSchedules(scheduling())).outcomes[s.id]).toBe("started");
      startedAt.push(clock.toISOString());
      await drainAll();
    }
    expect(startedAt).toEqual(["2026-03-28T05:00:00.000Z", "2026-03-29T04:00:00.000Z", "2026-03-30T04:00:00.000Z", "2026-03-31T04:00:00.000Z"]);
  });
});
