/**
 * The export lifecycle (docs/ARCHITECTURE.md):
 *
 *   queued -> running -> archiving -> ready -> expired
 *      \         \           \
 *       +---------+-----------+--> failed | cancelled
 *
 * plus `failed -> queued` (an admin's retry) and same-status moves that
 * record progress without changing the status (a statement id, a resumed
 * attempt, the time the email went out, a queue message sent again). Every move goes through
 * `moveExport`, which turns it into a compare-and-set on the current status.
 */
import type { ExportPatch, JobStore } from "../ports";
import type { ExportRecord, ExportStatus, ExportStep } from "./model";

const NEXT: Record<ExportStatus, readonly ExportStatus[]> = {
  queued: ["queued", "running", "failed", "cancelled"],
  running: ["running", "archiving", "failed", "cancelled"],
  archiving: ["archiving", "ready", "failed", "cancelled"],
  ready: ["ready", "expired"],
  failed: ["failed", "queued"],
  cancelled: [],
  expired: [],
};

export function canTransition(from: ExportStatus, to: ExportStatus): boolean {
  return NEXT[from].includes(to);
}

/** Statuses from which `to` may be reached. */
export function sourcesOf(to: ExportStatus): ExportStatus[] {
  return (Object.keys(NEXT) as ExportStatus[]).filter((from) => NEXT[from].includes(to));
}

/**
 * Moves an export from one of `from` to `to` as one conditional write.
 * Returns the updated record, or null when the export was no longer in any of
 * `from` (another worker, a cancel or a duplicate delivery got there first).
 * Throws on a move the lifecycle does not allow: that is a bug, not a race.
 */
export async function moveExport(
  jobs: JobStore,
  id: string,
  from: ExportStatus | readonly ExportStatus[],
  to: ExportStatus,
  patch: Omit<ExportPatch, "status">,
  steps: ExportStep[] = [],
  unset?: readonly ("notifiedAt" | "statementId")[],
): Promise<ExportRecord | null> {
  const sources = typeof from === "string" ? [from] : from;
  for (const s of sources) {
    if (!canTransition(s, to)) throw new Error(`illegal export transition ${s} -> ${to}`);
  }
  return jobs.transition(id, { status: sources, unset }, { ...patch, status: to }, steps);
}
