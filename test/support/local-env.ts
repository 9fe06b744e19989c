/**
 * A whole local backend in a temp folder, for integration tests: a seeded
 * DuckDB warehouse (seeded once per file and shared read-only), SQLite job
 * store and queues, disk stores and an outbox.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { buildDeps, loadConfig, type AppDeps } from "@/lib/config";
import { seedWarehouse } from "@/lib/adapters/local/seed-warehouse";
import { handleDeadLetter } from "@/lib/exports/worker";
import { handleQueueMessage } from "@/workers/dispatch";
import { handleDeliveryMessage } from "@/workers/delivery-dispatch";
import { SimulatedCrash } from "@/lib/exports/deps";
import type { Actor } from "@/lib/core/actor";
import { createLogger } from "@/lib/log";
import type { ExportRecord, ExportStatus } from "@/lib/exports/model";

export async function seededWarehouse(rows: number): Promise<{ dbPath: string; dir: string }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "pep-wh-"));
  const dbPath = path.join(dir, "warehouse.duckdb");
  await seedWarehouse({ dbPath, rows });
  return { dbPath, dir };
}

export async function makeLocalDeps(dbPath: string, env: Record<string, string> = {}): Promise<AppDeps & { dataDir: string }> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "pep-data-"));
  const config = loadConfig({
    DATA_DIR: dataDir,
    DUCKDB_PATH: dbPath,
    AUTH_SECRET: "test-secret-test-secret-test-secret-0123",
    INLINE_WAIT_MS: "2000",
    // A crashed archiving delivery keeps its lease this long: short, so crash tests resume within seconds.
    ARCHIVE_LEASE_SECONDS: "2",
    POLL_DELAY_SECONDS: "0",
    RETRY_BASE_SECONDS: "0",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    // Integration tests make many requests as one supplier; the limit tests set their own values.
    MAX_ACTIVE_EXPORTS_PER_SUPPLIER: "1000",
    API_RATE_LIMIT_PER_MINUTE: "100000",
    ...env,
  });
  const deps = await buildDeps(config, createLogger(config.env.LOG_LEVEL, "test"));
  return Object.assign(deps, { dataDir });
}

export { requestExportAs } from "./request-export";

export const rose: Actor = { userId: "usr_rose", email: "rose@suppliers.test", role: "supplier", supplierId: "sup_rose" };
export const tulip: Actor = { userId: "usr_tulip", email: "tulip@suppliers.test", role: "supplier", supplierId: "sup_tulip" };
export const admin: Actor = { userId: "usr_admin", email: "admin@acmeflowers.test", role: "admin", supplierId: null };

const TERMINAL: ExportStatus[] = ["ready", "failed", "cancelled", "expired"];

/** Works the delivery lane by hand until it is empty (the local runner's delivery slots do this in the background); returns how many messages it handled. */
export async function drainDeliveries(deps: AppDeps): Promise<number> {
  let handled = 0;
  for (;;) {
    const [delivery] = await deps.deliveryQueue.receive({ max: 1, waitSeconds: 0, visibilitySeconds: 30 });
    if (!delivery) return handled;
    const outcome = await handleDeliveryMessage(deps, delivery.body);
    if (outcome.kind !== "done") throw new Error(`delivery ${JSON.stringify(delivery.body)} asked for a retry`);
    await deps.deliveryQueue.ack(delivery.receipt);
    handled++;
  }
}

/**
 * Runs the worker by hand until `exportId` is finished and its messages are
 * gone. A SimulatedCrash leaves the message un-acked, as a dead process
 * would; it is made visible again at once (the visibility timeout, elapsed).
 */
export async function drain(deps: AppDeps, exportId: string, opts: { deadlineMs?: number } = {}): Promise<ExportRecord> {
  const deadline = Date.now() + (opts.deadlineMs ?? 30_000);
  for (;;) {
    if (Date.now() > deadline) throw new Error(`export ${exportId} did not finish in time`);
    const [msg] = await deps.queue.receive({ max: 1, waitSeconds: 0, visibilitySeconds: 30 });
    const [delivery] = msg ? [] : await deps.deliveryQueue.receive({ max: 1, waitSeconds: 0, visibilitySeconds: 30 });
    if (delivery) {
      const outcome = await handleDeliveryMessage(deps, delivery.body);
      if (outcome.kind === "done") await deps.deliveryQueue.ack(delivery.receipt);
      else await deps.deliveryQueue.release(delivery.receipt, outcome.delaySeconds);
      continue;
    }
    if (msg) {
      try {
        const outcome = await handleQueueMessage(deps, msg.body, { receiveCount: msg.receiveCount });
        if (outcome.kind === "done") await deps.queue.ack(msg.receipt);
        else await deps.queue.release(msg.receipt, outcome.delaySeconds);
      } catch (err) {
        if (!(err instanceof SimulatedCrash)) throw err;
        await deps.queue.release(msg.receipt, 0);
      }
      continue;
    }
    const [dead] = await deps.deadLetterQueue.receive({ max: 1, waitSeconds: 0, visibilitySeconds: 30 });
    if (dead) {
      await handleDeadLetter(deps, dead.body);
      await deps.deadLetterQueue.ack(dead.receipt);
      continue;
    }
    const rec = await deps.jobs.getExport(exportId);
    if (rec && TERMINAL.includes(rec.status) && (await deps.queue.depth()) === 0 && (await deps.deliveryQueue.depth()) === 0) return rec;
    await new Promise((r) => setTimeout(r, 20));
  }
}
