/**
 * What an export's state means for the person who asked for it, in plain
 * words: the same sentences on the page, in the API (`summary`) and in the
 * emails. Pure, so server and browser bundles share it.
 *
 * Raw failure text (warehouse messages, file paths, commands) stays in the
 * record's `errorMessage` for the logs and the admin view; suppliers get
 * `supplierFailureMessage`, which says what happened and what to do.
 */
import type { z } from "zod";
import type { ExportRecord, ExportStep, ZExportSummary } from "./model";

export const NO_ROWS_MESSAGE = "No rows matched these filters.";

/** A queued export older than this, with no worker on it, is reported as waiting too long (and shown to admins as stuck). */
export const QUEUED_STUCK_AFTER_SECONDS = 10 * 60;

/** Finished with nothing to download: the query matched no rows, so no file was written. */
export function isNoRows(rec: Pick<ExportRecord, "status" | "rowCount" | "archiveKey">): boolean {
  return rec.status === "ready" && rec.rowCount === 0 && rec.archiveKey === null;
}

/** Where the export stands, in words, beyond its status. */
export type ExportPhase =
  | "queued"
  | "queued_long"
  | "running"
  | "retry_wait"
  | "archiving"
  | "ready"
  | "no_rows"
  | "failed"
  | "cancelled"
  | "expired";

/**
 * `message`: one sentence for people (the page's live status line, the API's `summary.message`);
 * `retry`: during a retry wait, when the next attempt starts, which one, of how many;
 * `progress`: while archiving, when the archive step reports it. The schema is the model's (ZExportSummary).
 */
export type ExportSummary = z.infer<typeof ZExportSummary> & { phase: ExportPhase };

/**
 * The export's phase and sentence at `now`. `maxAttempts` is the queue's
 * maximum receive count: "attempt k of 3". `archiveProgress`: what the
 * archive step last reported while archiving.
 */
export function summarizeExport(
  rec: ExportRecord,
  steps: readonly ExportStep[],
  now: Date,
  maxAttempts: number,
  archiveProgress: { bytesDone: number; bytesTotal: number } | null = null,
): ExportSummary {
  switch (rec.status) {
    case "queued": {
      const retry = pendingRetry(rec, steps, now, maxAttempts);
      if (retry) return retry;
      const waited = (now.getTime() - Date.parse(rec.updatedAt)) / 1000;
      if (waited > QUEUED_STUCK_AFTER_SECONDS) {
        return {
          phase: "queued_long",
          message: `Still waiting for a worker after ${Math.floor(waited / 60)} minutes. That is longer than usual; we have been alerted. You can wait, or cancel it and try again later.`,
        };
      }
      return { phase: "queued", message: "Waiting for a worker to pick it up." };
    }
    case "running":
      return pendingRetry(rec, steps, now, maxAttempts) ?? { phase: "running", message: "The warehouse is running the query." };
    case "archiving": {
      const retry = pendingRetry(rec, steps, now, maxAttempts);
      if (retry) return retry;
      const p = archiveProgress;
      if (p && p.bytesTotal > 0) {
        const pct = Math.min(100, Math.floor((p.bytesDone / p.bytesTotal) * 100));
        return { phase: "archiving", message: `Packing the result files into a zip archive: ${pct}% done.`, progress: p };
      }
      return { phase: "archiving", message: "Packing the result files into a zip archive." };
    }
    case "ready":
      if (isNoRows(rec)) return { phase: "no_rows", message: `${NO_ROWS_MESSAGE} There is no file to download; change the filters to export something.` };
      return { phase: "ready", message: "Ready to download." };
    case "expired":
      return { phase: "expired", message: "The file was deleted after its retention period. Run the export again for a fresh one." };
    case "failed":
      return { phase: "failed", message: supplierFailureMessage(rec) };
    case "cancelled":
      return { phase: "cancelled", message: rec.notify ? "The export was cancelled. No email was sent." : "The export was cancelled." };
  }
}

/** A retry the worker scheduled and that has not started yet (the last step is "retrying", its delay not over). */
function pendingRetry(rec: ExportRecord, steps: readonly ExportStep[], now: Date, maxAttempts: number): ExportSummary | null {
  const last = steps[steps.length - 1];
  if (!last || last.step !== "retrying") return null;
  const inSeconds = typeof last.detail.inSeconds === "number" ? last.detail.inSeconds : 0;
  const failedAttempt = typeof last.detail.attempt === "number" ? last.detail.attempt : rec.attempts;
  const at = new Date(Date.parse(last.at) + inSeconds * 1000);
  const left = Math.ceil((at.getTime() - now.getTime()) / 1000);
  const attempt = Math.min(failedAttempt + 1, maxAttempts);
  if (left <= 0) {
    return { phase: "retry_wait", message: `Retrying now (attempt ${attempt} of ${maxAttempts}) after a temporary fault.`, retry: { at: at.toISOString(), attempt, of: maxAttempts } };
  }
  return {
    phase: "retry_wait",
    message: `A temporary fault interrupted it. Retrying in ${left} s (attempt ${attempt} of ${maxAttempts}).`,
    retry: { at: at.toISOString(), attempt, of: maxAttempts },
  };
}

const CONTACT = (id: string) => `If it fails again, contact support and quote the export id ${id}.`;

/** Why it failed and what to do, for suppliers and their emails: no paths, commands or driver messages. */
export function supplierFailureMessage(rec: Pick<ExportRecord, "id" | "errorCode">): string {
  switch (rec.errorCode) {
    case "query_aborted":
      return `The warehouse stopped the query before it finished. Run the export again. ${CONTACT(rec.id)}`;
    case "gave_up":
    case "warehouse_unavailable":
    case "statement_missing":
    case "statement_unavailable":
      return `The export kept hitting a temporary problem on our side and stopped after several attempts. Your filters were not the cause. Try again in a few minutes. ${CONTACT(rec.id)}`;
    case "enqueue_failed":
      return "The export could not be queued, so nothing ran. Please try again in a minute.";
    case "unknown_dataset":
    case "invalid_params":
      return "This dataset, its filters or its columns changed after the export was requested, so it cannot run as it was asked. Start a new export.";
    case "query_failed":
      return `The warehouse could not run this export. This is a problem on our side, not with your filters. ${CONTACT(rec.id)}`;
    default:
      return `Something went wrong on our side while preparing the file. Try again later. ${CONTACT(rec.id)}`;
  }
}

/**
 * The record and steps as a supplier may see them: the failure's raw text is
 * replaced by `supplierFailureMessage`, and steps keep no warehouse or worker
 * messages or internal codes. Admins get the record as stored.
 */
export function redactForSupplier(rec: ExportRecord, steps: readonly ExportStep[]): { export: ExportRecord; steps: ExportStep[] } {
  return {
    export: rec.errorCode || rec.errorMessage ? { ...rec, errorMessage: supplierFailureMessage(rec) } : rec,
    steps: steps.map((s) => {
      if (s.step !== "failed" && s.step !== "retrying") return s;
      // The warehouse's or worker's words and the internal code are for logs and admins; the record's message says it plainly.
      const { message: _message, code: _code, ...detail } = s.detail;
      return { ...s, detail };
    }),
  };
}
