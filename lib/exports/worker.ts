/**
 * The worker's steps: claim -> unload -> (poll) -> archive -> ready -> notify.
 *
 * The message only names the export; what to do next is read from the export's
 * stored status, so every delivery — first, duplicate, poll or redelivery after
 * a crash — resumes where the last one stopped. Each step is idempotent and
 * ends in a compare-and-set, so two deliveries racing on one export cannot
 * both advance it, and a crash anywhere still ends with one archive and one email.
 */
import { getDataset } from "../datasets/catalog";
import type { SupplierScope } from "../datasets/types";
import type { StatementState, UnloadRequest } from "../ports";
import { SimulatedCrash, type ExportDeps } from "./deps";
import { renderFailedEmail, renderReadyEmail } from "./emails";
import { BackendError } from "../core/errors";
import { classifyFault } from "./faults";
import { exportMessage, exportSendOptions, ZExportMessage } from "./messages";
import { ACTIVE_STATUSES, decimalMarkOf, type ExportRecord, type ExportStep } from "./model";
import { moveExport } from "./state-machine";
import { archiveExport, archiveKeyOf, unloadPrefix } from "./archive-step";
import { discardArchiveUpload } from "./resumable-archive";

export type WorkerOutcome =
  /** Done with this message: ack it. */
  | { kind: "done" }
  /** A retryable fault: make the message visible again after `delaySeconds`. */
  | { kind: "retry"; delaySeconds: number };

export { unloadPrefix };

function step(deps: ExportDeps, name: ExportStep["step"], detail: ExportStep["detail"] = {}): ExportStep {
  return { at: deps.now().toISOString(), step: name, detail };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** One delivery of a message: its receive count, and when it must be done by (ms since the epoch; Lambda's time limit less a margin). */
export interface ExportDelivery {
  receiveCount: number;
  deadline?: number;
}

/**
 * Handles one delivery of an export message. Never throws for a fault of the
 * export or a backend (they become a failed export or a retry outcome); only a
 * `SimulatedCrash` from a test passes through.
 */
export async function handleExportMessage(deps: ExportDeps, body: unknown, delivery: ExportDelivery): Promise<WorkerOutcome> {
  const parsed = ZExportMessage.safeParse(body);
  if (!parsed.success) {
    // A malformed message can never succeed: drop it rather than let it cycle to the DLQ.
    deps.log.error({ body, issues: parsed.error.issues }, "dropping malformed queue message");
    return { kind: "done" };
  }
  const { exportId } = parsed.data;
  const log = deps.log.child({ exportId });
  try {
    return await advanceExport(deps, exportId, delivery.receiveCount, delivery.deadline);
  } catch (err) {
    if (err instanceof SimulatedCrash) throw err;
    const fault = classifyFault(err);
    const message = fault.message;
    if (!fault.retryable) {
      log.error({ err, code: fault.code }, "export failed");
      const current = await deps.jobs.getExport(exportId);
      const failed = current ? await failExport(deps, current, fault.code, message) : null;
      if (failed) await announce(deps, failed);
      return { kind: "done" };
    }
    const delaySeconds = Math.min(900, deps.settings.retryBaseSeconds * 2 ** (delivery.receiveCount - 1));
    log.warn({ err, attempt: delivery.receiveCount, delaySeconds }, "retryable fault; will retry");
    await deps.jobs.appendSteps(exportId, [step(deps, "retrying", { attempt: delivery.receiveCount, message, inSeconds: delaySeconds })]).catch((e) => {
      log.error({ err: e }, "could not record retry step");
    });
    return { kind: "retry", delaySeconds };
  }
}

async function advanceExport(deps: ExportDeps, exportId: string, receiveCount: number, deadline?: number): Promise<WorkerOutcome> {
  const log = deps.log.child({ exportId });
  let rec = await deps.jobs.getExport(exportId);
  if (!rec) {
    log.warn("message for an unknown export; dropping it");
    return { kind: "done" };
  }

  if (rec.status === "queued") {
    const now = deps.now().toISOString();
    const attempt = rec.attempts + 1;
    const claimed = await moveExport(deps.jobs, exportId, "queued", "running", { attempts: attempt, startedAt: rec.startedAt ?? now, updatedAt: now }, [
      step(deps, "started", { attempt }),
    ]);
    if (!claimed) return advanceExport(deps, exportId, 1, deadline); // someone else moved it (cancel, duplicate); act on what it is now
    rec = claimed;
    log.info({ attempt }, "claimed");
    deps.checkpoint?.("claimed", exportId);
  } else if ((rec.status === "running" || rec.status === "archiving") && receiveCount > 1) {
    // A redelivery: the delivery before this one died or gave up mid-step. Count it as an attempt.
    const attempt = rec.attempts + 1;
    const resumed = await moveExport(deps.jobs, exportId, rec.status, rec.status, { attempts: attempt, updatedAt: deps.now().toISOString() }, [
      step(deps, "started", { attempt, resumed: true }),
    ]);
    if (resumed) rec = resumed;
    log.info({ attempt, status: rec.status }, "resuming after redelivery");
  }

  if (rec.status === "running") {
    const next = await runQuery(deps, rec);
    if (next === "handed-over") return { kind: "done" };
    rec = next;
  }
  if (rec.status === "archiving") {
    const next = await archiveExport(deps, rec, { deadline });
    if (next === "handed-over") return { kind: "done" };
    rec = next;
  }
  switch (rec.status) {
    case "ready":
    case "failed":
      await deps.unloadStore.deletePrefix(unloadPrefix(rec.id));
      await announce(deps, rec);
      return { kind: "done" };
    case "cancelled":
      await cleanUpCancelled(deps, rec);
      return { kind: "done" };
    default:
      return { kind: "done" };
  }
}

function scopeOf(rec: ExportRecord): SupplierScope {
  return rec.supplierId === null ? { kind: "all" } : { kind: "supplier", supplierId: rec.supplierId };
}

/**
 * Submits the export's statement (once) and waits a bounded while for it. A
 * quick query moves straight on to archiving; a long one is handed over to a
 * delayed poll message so no worker sits on it.
 */
async function runQuery(deps: ExportDeps, rec: ExportRecord): Promise<ExportRecord | "handed-over"> {
  const log = deps.log.child({ exportId: rec.id });
  if (!rec.statementId) {
    const dataset = getDataset(rec.dataset);
    if (!dataset) throw new BackendError("unknown_dataset", `Dataset "${rec.dataset}" no longer exists.`, false);
    const params = dataset.paramsSchema.safeParse(rec.params);
    if (!params.success) throw new BackendError("invalid_params", "The export's filters are no longer valid for this dataset.", false);
    let sql: string;
    try {
      sql = dataset.buildQuery(params.data, scopeOf(rec), rec.columns, { decimalMark: decimalMarkOf(rec) });
    } catch (err) {
      if (err instanceof Error && err.name === "UnknownColumnsError") {
        throw new BackendError("invalid_params", `The export's columns are no longer in the dataset (${err.message}).`, false);
      }
      throw err;
    }
    // Start from an empty folder: a statement lost before it was recorded may have left parts.
    await deps.unloadStore.deletePrefix(unloadPrefix(rec.id));
    const { statementId } = await deps.warehouse.submitUnload({ exportId: rec.id, sql, keyPrefix: unloadPrefix(rec.id), ...unloadFormatOf(rec) });
    const recorded = await moveExport(
      deps.jobs,
      rec.id,
      "running",
      "running",
      { statementId, updatedAt: deps.now().toISOString() },
      [step(deps, "query_submitted", { statementId })],
      ["statementId"],
    );
    if (!recorded) {
      // Lost a race (duplicate delivery or cancel): this statement is not the export's.
      await deps.warehouse.cancel(statementId).catch(() => undefined);
      const current = await deps.jobs.getExport(rec.id);
      if (current?.status === "cancelled") return current;
      return "handed-over";
    }
    rec = recorded;
    log.info({ statementId }, "query submitted");
    deps.checkpoint?.("submitted", rec.id);
  }

  const statementId = rec.statementId!;
  const state = await waitForStatement(deps, statementId, unloadPrefix(rec.id), deps.settings.inlineWaitMs);
  switch (state.state) {
    case "running": {
      const elapsed = (deps.now().getTime() - Date.parse(rec.startedAt ?? rec.createdAt)) / 1000;
      const delaySeconds = Math.round(Math.min(deps.settings.maxPollDelaySeconds, Math.max(deps.settings.pollDelaySeconds, elapsed / 10)));
      await deps.queue.send(exportMessage(rec.id, "poll"), exportSendOptions(rec, delaySeconds));
      log.info({ statementId, delaySeconds }, "query still running; poll scheduled");
      return "handed-over";
    }
    case "failed":
      if (state.retryable) {
        // Forget the lost statement so the retry submits a fresh one.
        await moveExport(deps.jobs, rec.id, "running", "running", { statementId: null, updatedAt: deps.now().toISOString() });
        throw new BackendError("warehouse_unavailable", state.message, true);
      }
      return (await failExport(deps, rec, "query_failed", state.message)) ?? rec;
    case "aborted": {
      const current = await deps.jobs.getExport(rec.id);
      if (current?.status === "cancelled") return current;
      return (await failExport(deps, rec, "query_aborted", "The warehouse stopped the query before it finished.")) ?? rec;
    }
    case "finished": {
      const m = state.manifest;
      const moved = await moveExport(deps.jobs, rec.id, "running", "archiving", { rowCount: m.rows, fileCount: m.entries.length, updatedAt: deps.now().toISOString() }, [
        step(deps, "query_finished", { rows: m.rows, files: m.entries.length, bytes: m.bytes }),
      ]);
      if (!moved) return (await deps.jobs.getExport(rec.id)) ?? rec;
      log.info({ rows: m.rows, files: m.entries.length, bytes: m.bytes }, "query finished");
      deps.checkpoint?.("query-finished", rec.id);
      return moved;
    }
  }
}

async function waitForStatement(deps: ExportDeps, statementId: string, keyPrefix: string, budgetMs: number): Promise<StatementState> {
  const deadline = Date.now() + budgetMs;
  let pause = 25;
  for (;;) {
    const state = await deps.warehouse.describe(statementId, keyPrefix);
    if (state.state !== "running" || Date.now() >= deadline) return state;
    await sleep(Math.min(pause, Math.max(0, deadline - Date.now())));
    pause = Math.min(pause * 2, 500);
  }
}

/** What the warehouse writes for the export's format: XLSX is made from comma-separated CSV parts here. */
function unloadFormatOf(rec: ExportRecord): Pick<UnloadRequest, "format" | "delimiter"> {
  switch (rec.format) {
    case "csv":
      return { format: "csv", delimiter: rec.delimiter ?? "," };
    case "xlsx":
      return { format: "csv", delimiter: "," };
    default:
      return { format: rec.format };
  }
}

/**
 * Marks an active export failed with the reason and drops its parts. Returns
 * null when it was no longer active. The caller announces it (`announce`).
 */
export async function failExport(deps: ExportDeps, rec: ExportRecord, code: string, message: string): Promise<ExportRecord | null> {
  const now = deps.now().toISOString();
  const failed = await moveExport(deps.jobs, rec.id, ACTIVE_STATUSES, "failed", { errorCode: code, errorMessage: message, finishedAt: now, updatedAt: now }, [
    step(deps, "failed", { code, message }),
  ]);
  if (!failed) return null;
  deps.log.warn({ exportId: rec.id, code, message }, "export failed");
  // Its unfinished archive upload, if any: the bucket's lifecycle rule is the backstop when this fails.
  await discardArchiveUpload(deps, rec).catch((err: unknown) => deps.log.warn({ err, exportId: rec.id }, "could not abort the archive upload"));
  await deps.unloadStore.deletePrefix(unloadPrefix(rec.id));
  return failed;
}

/**
 * Tells the requester (email) and the outcome hooks (webhooks, composed in
 * lib/config.ts) that a ready or failed export is finished. Called once per
 * delivery, with the record as it stands after the last transition: every
 * part is idempotent across redeliveries, but calling it twice with the same
 * stale record would send the email twice where the mailer cannot deduplicate (SES).
 */
async function announce(deps: ExportDeps, rec: ExportRecord): Promise<void> {
  await notify(deps, rec);
  // Awaited one by one: a hook that throws makes this delivery a retry, and the next one calls every hook again.
  for (const hook of deps.outcomeHooks) await hook.exportFinished(rec);
}

/**
 * Sends the "ready" or "failed" email once. The mail goes out before the
 * `notifiedAt` write; the idempotency key keeps a redelivery after a crash in
 * between from sending a second one where the mailer can deduplicate.
 */
async function notify(deps: ExportDeps, rec: ExportRecord): Promise<void> {
  if (!rec.notify || rec.notifiedAt) return;
  if (rec.status !== "ready" && rec.status !== "failed") return;
  const ctx = { publicUrl: deps.settings.publicUrl, supplierName: await supplierNameOf(deps, rec.supplierId) };
  const mail = rec.status === "ready" ? renderReadyEmail(rec, ctx) : renderFailedEmail(rec, ctx);
  const { messageId } = await deps.mailer.send(mail);
  const now = deps.now().toISOString();
  await moveExport(deps.jobs, rec.id, rec.status, rec.status, { notifiedAt: now, updatedAt: now }, [step(deps, "notified", { messageId, to: rec.requesterEmail })], ["notifiedAt"]);
  deps.log.info({ exportId: rec.id, messageId }, "notified");
  deps.checkpoint?.("notified", rec.id);
}

/** The supplier's display name from its users' records; null when unknown (the email then shows the id). */
async function supplierNameOf(deps: ExportDeps, supplierId: string | null): Promise<string | null> {
  if (!supplierId || !deps.users) return null;
  try {
    const users = await deps.users.listUsers();
    return users.find((u) => u.supplierId === supplierId && u.supplierName)?.supplierName ?? null;
  } catch (err) {
    deps.log.warn({ err, supplierId }, "could not look up the supplier's name for an email");
    return null;
  }
}

async function cleanUpCancelled(deps: ExportDeps, rec: ExportRecord): Promise<void> {
  if (rec.statementId) await deps.warehouse.cancel(rec.statementId).catch(() => undefined);
  // A multi-delivery archive may have an upload in progress: abort it, so no parts are left to pay for.
  await discardArchiveUpload(deps, rec);
  await deps.unloadStore.deletePrefix(unloadPrefix(rec.id));
  await deps.archiveStore.delete(archiveKeyOf(rec));
  deps.log.info({ exportId: rec.id }, "cancelled export cleaned up");
}

/**
 * A message that reached the dead-letter queue: its export failed on every
 * delivery. Mark it failed with the last fault the worker recorded.
 */
export async function handleDeadLetter(deps: ExportDeps, body: unknown): Promise<void> {
  const parsed = ZExportMessage.safeParse(body);
  if (!parsed.success) {
    deps.log.error({ body }, "dropping malformed dead letter");
    return;
  }
  const rec = await deps.jobs.getExport(parsed.data.exportId);
  if (!rec || !ACTIVE_STATUSES.includes(rec.status)) return;
  const steps = await deps.jobs.listSteps(rec.id);
  const lastFault = [...steps].reverse().find((s) => s.step === "retrying")?.detail.message;
  if (rec.statementId) await deps.warehouse.cancel(rec.statementId).catch(() => undefined);
  const failed = await failExport(
    deps,
    rec,
    "gave_up",
    `Gave up after ${deps.settings.maxReceives} attempts. Last error: ${typeof lastFault === "string" ? lastFault : "the worker stopped without reporting one"}`,
  );
  if (failed) await announce(deps, failed);
}

/** Marks ready exports past their retention as expired and deletes their archives. Returns how many. */
export async function sweepExpired(deps: ExportDeps, batch = 100): Promise<number> {
  const now = deps.now();
  const due = await deps.jobs.listExpiredReady(now.toISOString(), batch);
  let n = 0;
  for (const rec of due) {
    const moved = await moveExport(deps.jobs, rec.id, "ready", "expired", { updatedAt: now.toISOString() }, [step(deps, "expired", { archiveKey: rec.archiveKey })]);
    if (!moved) continue;
    if (rec.archiveKey) await deps.archiveStore.delete(rec.archiveKey);
    deps.log.info({ exportId: rec.id }, "expired");
    n++;
  }
  return n;
}
