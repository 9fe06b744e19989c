/**
 * What the specs check or arrange behind the browser, on the e2e stack's own
 * files: the warehouse (DuckDB, read-only) and the
 * SQLite job store, through the app's own service functions.
 */
import { randomUUID } from "node:crypto";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import * as localAdapters from "@/lib/adapters/local/index";
import { buildDeps, loadConfig, type AppDeps } from "@/lib/config";
import { getDataset } from "@/lib/datasets/catalog";
import { ApiError } from "@/lib/core/errors";
import type { Actor } from "@/lib/core/actor";
import type { ExportView } from "@/lib/exports/model";
import { cancelExport, getExport, listExports, submitExport } from "@/lib/exports/service";
import { createLogger } from "@/lib/log";
import type { Queue } from "@/lib/ports";
import { E2E_DATA_DIR, stackEnv } from "../stack-env";

/** The stack's warehouse; the worker opens it READ_ONLY too, so both can have it open at once. */
const WAREHOUSE_DB = path.join(E2E_DATA_DIR, "warehouse.duckdb");

export interface Comparison {
  zippedRows: number;
  directRows: number;
  onlyInZip: number;
  onlyInDirect: number;
  /** Rows of the zip whose SKU belongs to another supplier than `supplierId`. */
  foreignRows: number;
}

/**
 * Compares the export's CSV files with the dataset's own query for the same
 * filters and supplier, run directly on the stack's warehouse (read-only).
 */
export async function compareWithWarehouse(files: string[], dataset: string, params: Record<string, unknown>, supplierId: string): Promise<Comparison> {
  const def = getDataset(dataset);
  if (!def) throw new Error(`unknown dataset ${dataset}`);
  const sql = def.buildQuery(def.paramsSchema.parse(params), { kind: "supplier", supplierId });
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  try {
    await con.run(`ATTACH '${WAREHOUSE_DB.replaceAll("'", "''")}' AS wh (READ_ONLY); USE wh;`);
    const cols = def.columns.map((c) => `CAST("${c.name}" AS VARCHAR) AS "${c.name}"`).join(", ");
    const fileList = files.map((f) => `'${f.replaceAll("'", "''")}'`).join(", ");
    const zipped = `SELECT ${cols} FROM read_csv([${fileList}], header = true, all_varchar = true)`;
    const direct = `SELECT ${cols} FROM (${sql})`;
    const count = async (q: string) => Number((await con.runAndReadAll(`SELECT count(*) FROM (${q})`)).getRows()[0][0]);
    return {
      zippedRows: await count(zipped),
      directRows: await count(direct),
      onlyInZip: await count(`${zipped} EXCEPT ALL ${direct}`),
      onlyInDirect: await count(`${direct} EXCEPT ALL ${zipped}`),
      foreignRows: await count(
        `SELECT z.sku FROM (${zipped}) z JOIN rsdataapi.product_detail d ON d.sku = upper(z.sku) WHERE d.supplier_id <> '${supplierId.replaceAll("'", "''")}'`,
      ),
    };
  } finally {
    con.closeSync();
    db.closeSync();
  }
}

async function withDeps<T>(fn: (deps: AppDeps) => Promise<T>): Promise<T> {
  const config = loadConfig({ ...process.env, ...stackEnv(), LOG_LEVEL: "silent" });
  // Playwright's transform cannot follow lib/config.ts's dynamic import of the local adapters: hand them over.
  const deps = await buildDeps(config, createLogger("silent", "e2e"), { localAdapters });
  try {
    return await fn(deps);
  } finally {
    await deps.close();
  }
}

async function actorOf(deps: AppDeps, email: string): Promise<Actor> {
  const user = await deps.users.getUserByEmail(email);
  if (!user) throw new Error(`no user ${email}`);
  return { userId: user.id, email: user.email, role: user.role, supplierId: user.supplierId };
}

/**
 * A failed export, made the way a queue outage makes one: the request is
 * recorded, the queue refuses the message, and the service marks the export
 * failed (`enqueue_failed`). Nothing is queued, so it stays failed until an
 * admin retries it; the retry then runs through the real queue and worker.
 */
export async function makeFailedExport(email: string, body: Record<string, unknown>): Promise<string> {
  return withDeps(async (deps) => {
    const actor = await actorOf(deps, email);
    const down = (): never => {
      throw new Error("queue unavailable (e2e: simulated outage)");
    };
    const queue: Queue = {
      send: async () => down(),
      receive: (o) => deps.queue.receive(o),
      ack: (r) => deps.queue.ack(r),
      release: (r, d) => deps.queue.release(r, d),
      depth: () => deps.queue.depth(),
    };
    const err = await submitAs({ ...deps, queue }, actor, body).then(
      () => null,
      (e: unknown) => e,
    );
    if (!(err instanceof ApiError) || err.code !== "unavailable") throw new Error(`expected the request to fail with "unavailable", got ${String(err)}`);
    const page = await listExports(deps, actor, { status: "failed", limit: "1" });
    const failed = page.items[0];
    if (!failed || failed.errorCode !== "enqueue_failed") throw new Error("the failed export was not recorded");
    return failed.id;
  });
}

/**
 * A queued export whose queue message has not been delivered yet (here: never
 * sent), so it stays queued, with the page polling, until someone cancels it.
 */
export async function makeQueuedExport(email: string, body: Record<string, unknown>, opts: { asApi?: boolean } = {}): Promise<string> {
  return withDeps(async (deps) => {
    const actor = await actorOf(deps, email);
    const queue: Queue = {
      send: async () => ({ id: "e2e-undelivered" }),
      receive: (o) => deps.queue.receive(o),
      ack: (r) => deps.queue.ack(r),
      release: (r, d) => deps.queue.release(r, d),
      depth: () => deps.queue.depth(),
    };
    // `asApi`: without an Idempotency-Key, so the request's fingerprint is claimed (an identical request is then deduplicated).
    if (opts.asApi) return (await submitExport({ ...deps, queue }, { claims: deps.claims, limits: deps.config.api }, actor, body)).export.id;
    return (await submitAs({ ...deps, queue }, actor, body)).id;
  });
}

/** The API's request path (limits, a fresh Idempotency-Key so each call is its own export). */
async function submitAs(deps: AppDeps, actor: Actor, body: Record<string, unknown>) {
  return (await submitExport(deps, { claims: deps.claims, limits: deps.config.api }, actor, body, { idempotencyKey: randomUUID() })).export;
}

/** The export and its steps as the service sees them (for assertions after the UI acted). */
export async function readExport(email: string, id: string): Promise<ExportView> {
  return withDeps(async (deps) => getExport(deps, await actorOf(deps, email), id));
}

/** The in-between states an export page shows only for moments in a real run, for screenshots of each. */
export type ArrangedState = "running" | "retrying" | "archiving" | "stuck" | "cancelled";

/**
 * An export held in `state`: made like `makeQueuedExport` (no queue message,
 * so no worker ever picks it up) and then moved in the job store the way the
 * worker moves it: claimed ("started"); a retry scheduled after a temporary
 * fault ("retrying" in 90 s); archiving with the archive step's progress
 * (37 of 100 MB); queued untouched for 11 minutes (over the 10 minutes after
 * which the page says so and admins see it as stuck); or cancelled by its
 * requester. The page then reads it through the real service, as always.
 */
export async function makeExportIn(email: string, state: ArrangedState, body: Record<string, unknown>): Promise<string> {
  const id = await makeQueuedExport(email, body);
  await withDeps(async (deps) => {
    const at = (msAgo = 0) => new Date(deps.now().getTime() - msAgo).toISOString();
    const move = async (patch: Record<string, unknown>, steps: { step: ExportView["steps"][number]["step"]; detail: Record<string, string | number | boolean | null> }[]) => {
      const moved = await deps.jobs.transition(id, { status: ["queued"] }, patch, steps.map((s) => ({ at: at(), ...s })));
      if (!moved) throw new Error(`export ${id} was no longer queued`);
    };
    const started = { status: "running", startedAt: at(), updatedAt: at(), attempts: 1 };
    switch (state) {
      case "running":
        return move({ ...started, statementId: "duckdb.e2e.held" }, [{ step: "started", detail: { attempt: 1 } }, { step: "query_submitted", detail: { statementId: "duckdb.e2e.held" } }]);
      case "retrying":
        return move(started, [
          { step: "started", detail: { attempt: 1 } },
          { step: "retrying", detail: { attempt: 1, message: "warehouse unavailable (e2e)", inSeconds: 90 } },
        ]);
      case "archiving": {
        await move({ ...started, status: "archiving", rowCount: 812_400, fileCount: 3 }, [
          { step: "started", detail: { attempt: 1 } },
          { step: "query_finished", detail: { rows: 812_400, files: 3, bytes: 100_000_000 } },
        ]);
        const now = at();
        const leased = await deps.jobs.putArchiveLease({ exportId: id, owner: "e2e-held", expiresAt: new Date(Date.now() + 3_600_000).toISOString(), bytesDone: 37_000_000, bytesTotal: 100_000_000, updatedAt: now }, now);
        if (!leased) throw new Error("could not write the archive lease");
        return;
      }
      case "stuck":
        // The requeue sweep sends it again after REQUEUE_AFTER_SECONDS (15 min on the e2e stack), so 11 minutes stays stuck.
        return move({ updatedAt: at(11 * 60_000) }, []);
      case "cancelled":
        await cancelExport(deps, await actorOf(deps, email), id);
        return;
    }
  });
  return id;
}

/** Ends an export `makeExportIn` holds (as cancelled), so it stops counting against the supplier's active exports. */
export async function releaseExport(id: string): Promise<void> {
  await withDeps(async (deps) => {
    const now = deps.now().toISOString();
    await deps.jobs.deleteArchiveLease(id);
    await deps.jobs.transition(id, { status: ["queued", "running", "archiving"] }, { status: "cancelled", finishedAt: now, updatedAt: now }, [{ at: now, step: "cancelled", detail: { by: "e2e" } }]);
  });
}
