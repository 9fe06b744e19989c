/**
 * The scheduler: what one tick does, and how a run is settled.
 *
 * - A tick lists the schedules due now and, for each, claims its slot with a
 *   compare-and-set on `nextRunAt`: of two schedulers ticking at once exactly
 *   one claim applies, so no run starts twice. The claim moves `nextRunAt` to
 *   a short lease, not yet to the next slot, so a scheduler that dies right
 *   after claiming is followed by one that finishes the job within a minute.
 * - The run is an ordinary export, requested through the API's request path
 *   (`submitExport`) with an idempotency key per slot, so a retried tick gets
 *   the same export back, and the per-supplier limit applies.
 * - The next slot is computed from now, not from the missed slot: a
 *   scheduler that was down for three days runs a daily schedule once when it
 *   comes back, not three times.
 * - One run per schedule at a time: a slot that comes while the last run is
 *   still going waits for it (its window must start where the last one ended).
 * - Incremental windows are half-open, [cursor, warehouse now), on the
 *   warehouse's clock. The cursor moves to the window's end only when the run
 *   is ready and every push delivered; a failed run leaves it, so the next run
 *   covers the gap.
 */
import type { Actor } from "../core/actor";
import { ApiError, BackendError } from "../core/errors";
import { getDataset } from "../datasets/catalog";
import { ACTIVE_STATUSES, type ExportRecord } from "../exports/model";
import { submitExport } from "../exports/service";
import { enqueueWebhookDeliveries } from "../webhooks/deliveries";
// A cycle (push.ts calls settleRun); both only call each other inside functions, after both modules have loaded.
import { onScheduledExportFinished } from "./push";
import type { SchedulingDeps } from "./deps";
import { nextRunAfter, type PendingRun, type RunStatus, type ScheduleRecord } from "./model";

export type { SchedulingDeps } from "./deps";

/** How long a claimed slot is held before another scheduler may take it over (the claimer died before submitting). */
export const CLAIM_LEASE_MS = 60_000;
/** How soon a run that could not be submitted (limit reached, queue down) is tried again. */
export const SUBMIT_RETRY_MS = 60_000;

export type TickOutcome = "started" | "waiting" | "lost-race" | "retry-later" | "failed";

export interface TickReport {
  due: number;
  outcomes: Record<string, TickOutcome>;
}

/** One scheduler tick: starts every due run once. Safe to run on many processes at once. */
export async function tickSchedules(deps: SchedulingDeps, opts: { limit?: number } = {}): Promise<TickReport> {
  const now = deps.now();
  const due = await deps.schedules.store.listDue(now.toISOString(), opts.limit ?? 100);
  const outcomes: Record<string, TickOutcome> = {};
  for (const schedule of due) {
    try {
      outcomes[schedule.id] = await runDue(deps, schedule);
    } catch (err) {
      // One schedule's fault (a store or warehouse hiccup) must not stop the others; the next tick retries it.
      deps.log.error({ err, scheduleId: schedule.id }, "schedule tick failed");
      outcomes[schedule.id] = "retry-later";
    }
  }
  if (due.length) deps.log.info({ due: due.length, outcomes }, "schedules ticked");
  return { due: due.length, outcomes };
}

async function runDue(deps: SchedulingDeps, schedule: ScheduleRecord): Promise<TickOutcome> {
  let s = schedule;
  if (s.pendingRun?.exportId) {
    const settled = await settleRun(deps, s.id);
    if (!settled || settled.pendingRun) return "waiting"; // the last run is still going
    s = settled;
    if (s.status !== "active" || s.nextRunAt === null || s.nextRunAt > deps.now().toISOString()) return "waiting";
  }
  const store = deps.schedules.store;
  const now = deps.now();

  let pending: PendingRun;
  if (s.pendingRun && !s.pendingRun.exportId) {
    // Claimed before, never submitted (the claimer died, or the request was refused for now): take it over.
    const reclaimed = await store.updateSchedule(s.id, { nextRunAt: s.nextRunAt }, { nextRunAt: lease(now, CLAIM_LEASE_MS), updatedAt: now.toISOString() });
    if (!reclaimed) return "lost-race";
    s = reclaimed;
    pending = s.pendingRun!;
  } else {
    const dataset = getDataset(String(s.request.dataset));
    // The warehouse's clock, read before the claim: rows it stamps after this belong to the next run.
    const windowTo = s.incremental && dataset?.changeCursor ? (await deps.warehouse.currentTime()).toISOString() : null;
    pending = { slot: s.nextRunAt!, windowFrom: windowTo ? s.cursor : null, windowTo, exportId: null, claimedAt: now.toISOString() };
    const claimed = await store.updateSchedule(s.id, { nextRunAt: s.nextRunAt }, { nextRunAt: lease(now, CLAIM_LEASE_MS), pendingRun: pending, updatedAt: now.toISOString() });
    if (!claimed) return "lost-race"; // another scheduler claimed this slot first
    s = claimed;
  }
  return submitRun(deps, s, pending);
}

/** Requests the run's export and records it; the slot's lease becomes the schedule's real next slot. */
async function submitRun(deps: SchedulingDeps, s: ScheduleRecord, pending: PendingRun): Promise<TickOutcome> {
  const store = deps.schedules.store;
  const now = deps.now();
  const actor: Actor = { userId: s.createdBy, email: s.ownerEmail, role: "supplier", supplierId: s.supplierId };
  let exp: ExportRecord;
  try {
    const result = await submitExport(deps, { claims: deps.claims, limits: deps.schedules.limits }, actor, runRequest(s, pending), {
      idempotencyKey: `schedule:${s.id}:${pending.slot}`,
      scheduleId: s.id,
    });
    exp = result.export;
  } catch (err) {
    const retryable = (err instanceof ApiError && (err.code === "rate_limited" || err.code === "unavailable" || err.code === "conflict")) || (err instanceof BackendError && err.retryable);
    const message = err instanceof Error ? err.message : String(err);
    if (retryable) {
      deps.log.warn({ scheduleId: s.id, err: message }, "scheduled run not submitted yet; retrying soon");
      await store.updateSchedule(s.id, { version: s.version }, { nextRunAt: lease(now, SUBMIT_RETRY_MS), lastRunError: message, updatedAt: now.toISOString() });
      return "retry-later";
    }
    // The stored request no longer passes (a dataset or filter went away): this run fails; later ones will too until edited.
    deps.log.error({ scheduleId: s.id, err: message }, "scheduled run refused");
    await store.updateSchedule(s.id, { version: s.version }, {
      pendingRun: null,
      nextRunAt: nextRunAfter(s.cadence, s.timezone, now),
      lastRunAt: now.toISOString(),
      lastRunStatus: "failed",
      lastRunError: message,
      updatedAt: now.toISOString(),
    });
    return "failed";
  }
  const recorded = await store.updateSchedule(s.id, { version: s.version }, {
    pendingRun: { ...pending, exportId: exp.id },
    nextRunAt: nextRunAfter(s.cadence, s.timezone, now),
    lastRunAt: now.toISOString(),
    lastExportId: exp.id,
    lastRunStatus: exp.status as RunStatus,
    lastRunError: null,
    updatedAt: now.toISOString(),
  });
  if (!recorded) {
    // Edited meanwhile (renamed, paused): the run stands; record it on the current version.
    await store.updateSchedule(s.id, {}, { pendingRun: { ...pending, exportId: exp.id }, lastRunAt: now.toISOString(), lastExportId: exp.id, lastRunStatus: exp.status as RunStatus });
  }
  deps.log.info({ scheduleId: s.id, exportId: exp.id, windowFrom: pending.windowFrom, windowTo: pending.windowTo }, "scheduled run started");
  // A worker may have finished the export before its id was recorded here; its outcome hook then found no
  // id to match. Catch up now (both steps are idempotent), so the run does not wait for the next slot to settle.
  const current = await deps.jobs.getExport(exp.id);
  if (current && !ACTIVE_STATUSES.includes(current.status)) await onScheduledExportFinished(deps, current);
  return "started";
}

/** The export request of one run: the stored request, with the incremental window as the dataset's cursor filters. */
export function runRequest(s: ScheduleRecord, pending: PendingRun): Record<string, unknown> {
  const request = { ...s.request, params: { ...((s.request.params as Record<string, unknown>) ?? {}) } };
  const cursor = getDataset(String(s.request.dataset))?.changeCursor;
  if (cursor && pending.windowTo) {
    const params = request.params as Record<string, unknown>;
    // The first run starts where the stored request does (its own "since" filter, or the beginning).
    if (pending.windowFrom) params[cursor.fromParam] = pending.windowFrom;
    params[cursor.beforeParam] = pending.windowTo;
  }
  return request;
}

/**
 * Settles the schedule's pending run once its export has finished and every
 * push has succeeded or given up: ready and delivered moves the cursor to the
 * window's end; anything else leaves it. Returns the schedule as it is after
 * (still pending while the run goes on), or null when it is gone.
 */
export async function settleRun(deps: SchedulingDeps, scheduleId: string): Promise<ScheduleRecord | null> {
  const store = deps.schedules.store;
  for (let i = 0; i < 5; i++) {
    const s = await store.getSchedule(scheduleId);
    if (!s?.pendingRun?.exportId) return s;
    const pending = s.pendingRun;
    const exp = await deps.jobs.getExport(pending.exportId!);
    let status: RunStatus;
    if (!exp) status = "failed";
    else if (ACTIVE_STATUSES.includes(exp.status)) return s;
    else if (exp.status !== "ready") status = exp.status as RunStatus;
    else {
      const deliveries = await store.listDeliveriesForExport(exp.id);
      // None yet while the schedule has destinations: the outcome hook has not created them. Destinations
      // added to the schedule after the run started are not this run's.
      if (deliveries.some((d) => d.status === "pending") || (deliveries.length === 0 && s.destinationIds.length > 0)) return s;
      status = deliveries.some((d) => d.status === "failed") ? "failed" : deliveries.length ? "delivered" : "ready";
    }
    const ok = status === "ready" || status === "delivered";
    // Before the settling write, so a crash in between cannot lose it (the delivery id is per export and endpoint: no duplicate).
    if (status === "delivered" && exp) await enqueueWebhookDeliveries(deps, exp, "export.delivered");
    const now = deps.now().toISOString();
    const settled = await store.updateSchedule(s.id, { version: s.version }, {
      pendingRun: null,
      cursor: ok && pending.windowTo ? pending.windowTo : s.cursor,
      lastRunStatus: status,
      lastRunError: ok ? null : exp?.errorMessage ?? (status === "failed" ? "A push to a destination failed; the next run covers these rows again." : `The run was ${status}.`),
      updatedAt: now,
    });
    if (settled) {
      deps.log.info({ scheduleId, exportId: pending.exportId, status, cursor: settled.cursor }, "scheduled run settled");
      return settled;
    }
  }
  return store.getSchedule(scheduleId);
}

function lease(now: Date, ms: number): string {
  return new Date(now.getTime() + ms).toISOString();
}
