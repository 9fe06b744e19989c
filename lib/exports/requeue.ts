/**
 * The requeue sweep (issue 12, finding 4). A request writes the export record
 * and then sends its queue message: two writes to two systems (SQLite then
 * the SQLite queue, DynamoDB then SQS) with no transaction across them. A
 * crash between the two, or a message lost later, left the export `queued`
 * forever: counted against the supplier's active limit and capturing every
 * identical request through dedupe for 24 h. The sweep finds exports queued
 * and untouched for `requeueAfterSeconds` and sends their message again.
 *
 * Sending again is safe whatever really happened: when the first message
 * exists after all, the worker's compare-and-set claim lets only one delivery
 * advance the export (the design's at-least-once rule). Each re-send is a
 * compare-and-set on the status (queued -> queued with a new `updatedAt`),
 * so an export claimed or cancelled meanwhile is left alone, the next sweep
 * waits a whole period again, and the export's history says when it was
 * queued again. Two sweeps racing on one export may both send: one more
 * duplicate, handled like any other.
 */
import type { ExportDeps } from "./deps";
import { exportMessage } from "./messages";
import { moveExport } from "./state-machine";

/** Re-sends the message of every export queued and untouched for `requeueAfterSeconds`. Returns how many. */
export async function requeueStaleExports(deps: ExportDeps, batch = 100): Promise<number> {
  const now = deps.now();
  const before = new Date(now.getTime() - deps.settings.requeueAfterSeconds * 1000).toISOString();
  const stale = await deps.jobs.listQueuedBefore(before, batch);
  let n = 0;
  for (const rec of stale) {
    const at = deps.now().toISOString();
    const waitedSeconds = Math.round((now.getTime() - Date.parse(rec.updatedAt)) / 1000);
    const touched = await moveExport(deps.jobs, rec.id, "queued", "queued", { updatedAt: at }, [{ at, step: "queued", detail: { again: true, waitedSeconds } }]);
    if (!touched) continue; // claimed or cancelled meanwhile
    await deps.queue.send(exportMessage(rec.id, "retry"));
    deps.log.warn({ exportId: rec.id, waitedSeconds }, "export was queued with no message in sight; queued it again");
    n++;
  }
  return n;
}
