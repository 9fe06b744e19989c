/**
 * Pushes of a ready scheduled run to the schedule's destinations (the
 * supplier's S3 bucket or SFTP server), on the delivery lane: one message per
 * attempt (`destination.deliver`), so export slots never wait on a slow
 * server. Each delivery keeps its attempts and a log line per attempt; a
 * retryable fault is retried with doubling delays up to `maxAttempts`, and a
 * delivery that gives up emails the supplier once. A failed push never fails
 * the export: the archive stays downloadable, and the run's cursor stays put
 * so the next run carries the same rows again.
 */
import { z } from "zod";
import { exportPageUrl } from "../exports/emails";
import type { ExportOutcomeHook } from "../exports/deps";
import type { ExportRecord } from "../exports/model";
import { archiveFileName } from "../exports/service";
import { PushError } from "../ports";
import { openSecret } from "../webhooks/secrets";
import { ZDestinationDeliveryIdPattern, type DestinationDeliveryRecord, type DestinationRecord } from "./model";
import type { SchedulingDeps } from "./deps";
import { settleRun } from "./runs";

export const ZDestinationDeliverMessage = z.object({
  type: z.literal("destination.deliver"),
  deliveryId: z.string().regex(ZDestinationDeliveryIdPattern),
  attempt: z.number().int().min(1).max(100),
});
export type TDestinationDeliverMessage = z.infer<typeof ZDestinationDeliverMessage>;

/** SQS delays stop at 15 minutes. */
const MAX_DELAY_SECONDS = 900;

export function deliveryIdOf(exportId: string, destinationId: string): string {
  return `ddl_${exportId.slice(4)}_${destinationId.slice(4)}`;
}

/** Subscribes scheduled runs to export outcomes (composed in lib/config.ts). */
export function scheduleOutcomeHook(deps: SchedulingDeps): ExportOutcomeHook {
  return {
    name: "schedules",
    exportFinished: (rec) => onScheduledExportFinished(deps, rec),
    exportCancelled: async (rec) => {
      if (rec.scheduleId) await settleRun(deps, rec.scheduleId);
    },
  };
}

/**
 * The export worker's outcome hook for scheduled runs: a ready run gets one
 * delivery per destination; a run with none, or one that failed, is settled
 * at once. Idempotent: a redelivered worker step creates nothing twice.
 */
export async function onScheduledExportFinished(deps: SchedulingDeps, rec: ExportRecord): Promise<void> {
  if (!rec.scheduleId) return;
  const store = deps.schedules.store;
  const schedule = await store.getSchedule(rec.scheduleId);
  if (!schedule) return;
  // The export can finish before the scheduler has recorded its id (a fast worker): a pending run without one is this run.
  const pending = schedule.pendingRun;
  if (rec.status === "ready" && pending && (pending.exportId ?? rec.id) === rec.id) {
    const now = deps.now().toISOString();
    for (const destinationId of schedule.destinationIds) {
      const delivery: DestinationDeliveryRecord = {
        id: deliveryIdOf(rec.id, destinationId),
        destinationId,
        supplierId: schedule.supplierId,
        exportId: rec.id,
        scheduleId: schedule.id,
        status: "pending",
        attempts: 0,
        log: [],
        location: null,
        nextAttemptAt: now,
        failureNotifiedAt: null,
        createdAt: now,
        updatedAt: now,
      };
      if (await store.createDelivery(delivery)) {
        await deps.deliveryQueue.send({ type: "destination.deliver", deliveryId: delivery.id, attempt: 1 } satisfies TDestinationDeliverMessage);
      }
    }
  }
  await settleRun(deps, rec.scheduleId);
}

/** One attempt of one push. Throws only for store faults (the lane brings the message back). */
export async function handleDestinationMessage(deps: SchedulingDeps, msg: TDestinationDeliverMessage): Promise<void> {
  const store = deps.schedules.store;
  const delivery = await store.getDelivery(msg.deliveryId);
  // Gone, finished, or this attempt already recorded (a duplicate message): nothing to do.
  if (!delivery || delivery.status !== "pending" || delivery.attempts !== msg.attempt - 1) return;
  const log = deps.log.child({ deliveryId: delivery.id, exportId: delivery.exportId });
  const [destination, exp] = await Promise.all([store.getDestination(delivery.destinationId), deps.jobs.getExport(delivery.exportId)]);

  const started = deps.now();
  let outcome: { ok: true; location: string; fingerprint?: string } | { ok: false; message: string; retryable: boolean };
  if (!destination) outcome = { ok: false, message: "The destination was deleted.", retryable: false };
  // A run that matched no rows finishes without a file: nothing to push, and its window is covered.
  else if (exp && exp.status === "ready" && !exp.archiveKey && exp.rowCount === 0) outcome = { ok: true, location: "(no rows matched: nothing written)" };
  else if (!exp || exp.status !== "ready" || !exp.archiveKey) outcome = { ok: false, message: `The export is ${exp?.status ?? "gone"}; there is no file to push.`, retryable: false };
  else {
    try {
      const secret = destination.sealedCredentials ? openSecret(deps.schedules.settings.secretKey, destination.sealedCredentials) : null;
      const archiveKey = exp.archiveKey;
      const result = await deps.schedules.pushers[destination.config.kind].push(destination, secret, archiveFileName(exp), () => deps.archiveStore.openRead(archiveKey));
      outcome = { ok: true, location: result.location, fingerprint: result.hostKeyFingerprint };
    } catch (err) {
      outcome = err instanceof PushError ? { ok: false, message: err.message, retryable: err.retryable } : { ok: false, message: err instanceof Error ? err.message : String(err), retryable: true };
    }
  }

  const attempts = delivery.attempts + 1;
  const at = deps.now().toISOString();
  const seconds = ((deps.now().getTime() - started.getTime()) / 1000).toFixed(1);
  if (outcome.ok) {
    const recorded = await store.recordDeliveryAttempt(delivery.id, delivery.attempts, {
      status: "delivered",
      attempts,
      location: outcome.location,
      nextAttemptAt: null,
      log: [...delivery.log, { at, ok: true, message: `Wrote ${outcome.location} (${seconds} s).` }],
      updatedAt: at,
    });
    if (!recorded) return;
    log.info({ location: outcome.location, attempts }, "pushed to destination");
    if (destination && destination.config.kind === "sftp" && !destination.config.hostKeyFingerprint && outcome.fingerprint) {
      // Trust on first use: from now on only this server key is accepted.
      await store.updateDestinationConfig(destination.id, destination.supplierId, { ...destination.config, hostKeyFingerprint: outcome.fingerprint });
    }
  } else {
    const { maxAttempts, retryBaseSeconds } = deps.schedules.settings;
    const again = outcome.retryable && attempts < maxAttempts;
    const delaySeconds = Math.min(MAX_DELAY_SECONDS, retryBaseSeconds * 2 ** (attempts - 1));
    const recorded = await store.recordDeliveryAttempt(delivery.id, delivery.attempts, {
      status: again ? "pending" : "failed",
      attempts,
      nextAttemptAt: again ? new Date(deps.now().getTime() + delaySeconds * 1000).toISOString() : null,
      log: [...delivery.log, { at, ok: false, message: again ? `${outcome.message} Retrying in ${delaySeconds} s.` : outcome.message }],
      updatedAt: at,
    });
    if (!recorded) return;
    log.warn({ err: outcome.message, attempts, again }, "push to destination failed");
    if (again) {
      await deps.deliveryQueue.send({ type: "destination.deliver", deliveryId: delivery.id, attempt: attempts + 1 } satisfies TDestinationDeliverMessage, { delaySeconds });
      return;
    }
    // Only the attempt that recorded the failure gets here (compare-and-set on attempts): one email.
    if (exp) await notifyDeliveryFailed(deps, { ...delivery, attempts }, destination, exp, outcome.message);
  }
  if (delivery.scheduleId) await settleRun(deps, delivery.scheduleId);
}

async function notifyDeliveryFailed(deps: SchedulingDeps, delivery: DestinationDeliveryRecord, destination: DestinationRecord | null, exp: ExportRecord, reason: string): Promise<void> {
  const link = exportPageUrl(deps.settings.publicUrl, exp.id);
  const where = destination?.name ?? "a deleted destination";
  const text = [
    `Your scheduled export could not be delivered to ${where} after ${delivery.attempts} attempt(s).`,
    "",
    `Reason: ${reason}`,
    "",
    `The export itself is ready: download it at ${link}`,
    "The next run will include these rows again.",
  ].join("\n");
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Delivery failed</title></head><body style="font-family:system-ui,sans-serif">${text
    .split("\n")
    .map((l) => `<p>${l.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!)}</p>`)
    .join("")}</body></html>`;
  const { messageId } = await deps.mailer.send({ to: exp.requesterEmail, subject: `Delivery to ${where} failed`, text, html, idempotencyKey: `delivery-failed:${delivery.id}` });
  await deps.schedules.store.recordDeliveryAttempt(delivery.id, delivery.attempts, { failureNotifiedAt: deps.now().toISOString() });
  deps.log.info({ deliveryId: delivery.id, messageId }, "delivery failure emailed");
}
