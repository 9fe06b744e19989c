/**
 * The archive step's lease: one delivery at a time writes an export's archive (see ArchiveLeaseHold).
 */
import { randomUUID } from "node:crypto";
import type { ExportDeps } from "./deps";
import { exportMessage, exportSendOptions } from "./messages";
import type { ExportRecord } from "./model";

/** Progress is written (and the lease renewed) this often at most. */
const PROGRESS_EVERY_MS = 2000;

/** Thrown into the zip when another delivery took the lease over: this one stops writing. */
export class LeaseLost extends Error {
  constructor() {
    super("another delivery took over the archive lease");
  }
}

/**
 * This delivery's hold on the export's archive lease. The lease is one conditional write
 * (`JobStore.putArchiveLease`), renewed with the bytes done so far every couple of seconds
 * while the zip is written; a delivery that dies stops renewing, and once the lease has
 * expired the next delivery takes it over. So a duplicate delivery never archives an export
 * that a live delivery is archiving, and a dead one never blocks it for longer than the lease.
 */
export class ArchiveLeaseHold {
  readonly owner = randomUUID();
  bytesDone = 0;
  lost = false;
  /** The resumable archive's multipart upload and last checkpoint (JSON), carried in every write. */
  uploadId: string | null = null;
  checkpoint: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: ExportDeps,
    private readonly exportId: string,
    private readonly bytesTotal: number,
  ) {}

  /**
   * Writes the lease; false when another live delivery holds it. `release` writes it as expired
   * now (progress and checkpoint kept), so the delivery the archive is handed over to takes it at once.
   */
  async put(opts: { release?: boolean } = {}): Promise<boolean> {
    // One write at a time, in order: a renewal racing a checkpoint save must not land after it with the older checkpoint.
    const next = this.writes.then(() => this.write(opts));
    this.writes = next.catch(() => undefined);
    return next;
  }

  private async write(opts: { release?: boolean }): Promise<boolean> {
    const now = this.deps.now();
    const expiresAt = opts.release ? now : new Date(now.getTime() + this.deps.settings.archiveLeaseSeconds * 1000);
    const held = await this.deps.jobs.putArchiveLease(
      {
        exportId: this.exportId,
        owner: this.owner,
        expiresAt: expiresAt.toISOString(),
        bytesDone: Math.min(this.bytesDone, this.bytesTotal),
        bytesTotal: this.bytesTotal,
        updatedAt: now.toISOString(),
        uploadId: this.uploadId,
        checkpoint: this.checkpoint,
      },
      now.toISOString(),
    );
    if (!held) this.lost = true;
    return held;
  }

  /** Renews the lease with the progress until `stop()`; calls `onLost` if another delivery took it. */
  keep(onLost: () => void): void {
    const every = Math.min(PROGRESS_EVERY_MS, (this.deps.settings.archiveLeaseSeconds * 1000) / 3);
    const tick = () => {
      this.timer = null;
      this.put().then(
        (held) => {
          if (this.stopped) return;
          if (!held) {
            this.lost = true;
            onLost();
            return;
          }
          this.timer = setTimeout(tick, every).unref();
        },
        (err: unknown) => {
          // A failed renewal is not a lost lease: try again next time (the lease outlives a few misses).
          this.deps.log.warn({ err, exportId: this.exportId }, "could not renew the archive lease");
          if (!this.stopped) this.timer = setTimeout(tick, every).unref();
        },
      );
    };
    this.timer = setTimeout(tick, every).unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/**
 * Another delivery holds the export's live archive lease: schedule a check for when it would
 * lapse (the holder's own message is still in flight; the check only matters if the holder died).
 */
export async function scheduleLeaseCheck(deps: ExportDeps, rec: ExportRecord): Promise<"handed-over"> {
  const current = await deps.jobs.getArchiveLease(rec.id);
  const waitMs = current ? Date.parse(current.expiresAt) - deps.now().getTime() : 0;
  const delaySeconds = Math.min(900, Math.max(1, Math.ceil(waitMs / 1000) + 1));
  await deps.queue.send(exportMessage(rec.id, "poll"), exportSendOptions(rec, delaySeconds));
  deps.log.child({ exportId: rec.id }).info({ delaySeconds }, "another delivery is archiving this export; check scheduled");
  return "handed-over";
}
