/**
 * When a job store may forget an export record: the one rule both stores
 * apply (DynamoDB through its TTL attribute, SQLite by deleting due rows as
 * it writes). Every finished record goes, whatever its status (ready,
 * expired, failed, cancelled); a live one (queued, running, archiving) never.
 *
 * The clock starts at the archive's expiry when there is one, else when the
 * export finished; a record moved back to live (an admin retry) loses its
 * instant, and gets a new one when it finishes again.
 */
import { ACTIVE_STATUSES, FINISHED_STATUSES, type ExportRecord, type ExportStatus } from "@/lib/exports/model";
import type { ExportPatch } from "@/lib/ports";

/** How long a finished record is kept after its clock starts, by default. */
export const DEFAULT_RECORD_RETENTION_DAYS = 90;

export type RetentionChange =
  /** Set the instant (epoch seconds), replacing any. */
  | { kind: "set"; at: number }
  /** Set it only if the record has none (ready -> expired keeps the instant the archive's expiry gave). */
  | { kind: "set-if-absent"; at: number }
  | { kind: "remove" }
  | { kind: "keep" };

/** The instant for a record as created (exports are created live, but the rule does not assume it). */
export function retentionOfRecord(record: ExportRecord, retentionSeconds: number): number | null {
  if (!FINISHED_STATUSES.includes(record.status)) return null;
  return epoch(record.expiresAt ?? record.finishedAt ?? record.updatedAt) + retentionSeconds;
}

/** What a transition's patch does to the record's instant. `now` stands in when the patch carries no time. */
export function retentionChange(patch: ExportPatch, retentionSeconds: number, now: Date = new Date()): RetentionChange {
  const status = patch.status as ExportStatus | undefined;
  if (status !== undefined && ACTIVE_STATUSES.includes(status)) return { kind: "remove" };
  if (typeof patch.expiresAt === "string") return { kind: "set", at: epoch(patch.expiresAt) + retentionSeconds };
  if (status !== undefined && FINISHED_STATUSES.includes(status)) {
    const from = patch.finishedAt ?? patch.updatedAt ?? now.toISOString();
    return { kind: "set-if-absent", at: epoch(from) + retentionSeconds };
  }
  return { kind: "keep" };
}

function epoch(iso: string): number {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new TypeError(`not a timestamp: ${iso}`);
  return Math.floor(ms / 1000);
}
