import type { Logger } from "pino";
import type { JobStore, Mailer, ObjectStore, Queue, UserStore, Warehouse } from "../ports";
import type { ExportRecord } from "./model";

/** Tunables of the export domain, parsed from the environment by `lib/config.ts`. */
export interface ExportSettings {
  /** Base URL of the portal, for links in emails. */
  publicUrl: string;
  /** Archives are kept this long after they are ready. */
  retentionDays: number;
  /** Lifetime of a signed download URL. */
  downloadUrlTtlSeconds: number;
  /** Deflate level of the archive (0 = stored). */
  zipLevel: number;
  /** Scratch folder of the archive step (the zip writer itself no longer spools: see lib/zip/archive.ts). */
  spoolDir: string;
  /** Scratch folders the worker sweeps of entries untouched for `tempMaxAgeMs` (spool, the disk stores' temp files). */
  tempDirs: string[];
  tempMaxAgeMs: number;
  /** How long one delivery waits for a statement before handing over to a delayed poll message. */
  inlineWaitMs: number;
  /** Delay of the first poll message; later polls wait longer, up to `maxPollDelaySeconds`. */
  pollDelaySeconds: number;
  maxPollDelaySeconds: number;
  /** First delay before a retryable fault is retried; doubles each delivery. */
  retryBaseSeconds: number;
  /** Deliveries before a message goes to the dead-letter queue (the queue enforces it; the worker reports it). */
  maxReceives: number;
  /** How long a delivery stays hidden from other workers; the runner extends it while working. */
  visibilitySeconds: number;
  /**
   * Lifetime of the archive lease (renewed every 2 s, or a third of this, while the archive is
   * written): how long a crashed delivery keeps a redelivery waiting before it takes over.
   */
  archiveLeaseSeconds: number;
  /** Resumable archive: target multipart part size, largest server-side copy part, and whether to copy at all. */
  archivePartBytes: number;
  archiveCopyPartBytes: number;
  archiveCopyParts: boolean;
  /** A delivery hands the archive over through the queue after this long (0: at every safe point). */
  archiveDeliverySeconds: number;
  /**
   * A fresh archive whose parts (manifest bytes) can be read at this rate before the delivery's
   * end is hashed in one go: no resumable hash state, so a crash or hand-over restarts it (with
   * the saveable hash). 0: always the saveable hash.
   */
  archiveOneGoBytesPerSecond: number;
  /** An export queued and untouched this long gets its queue message sent again (see exports/requeue.ts). */
  requeueAfterSeconds: number;
}

/** Everything the export domain needs from the outside world. Built once by `lib/config.ts`. */
export interface ExportDeps {
  jobs: JobStore;
  queue: Queue;
  deadLetterQueue: Queue;
  warehouse: Warehouse;
  /** Where the warehouse writes part files (S3 unload bucket / local folder). */
  unloadStore: ObjectStore;
  /** Where archives are kept and downloaded from. */
  archiveStore: ObjectStore;
  mailer: Mailer;
  settings: ExportSettings;
  /** Portal users, for the supplier's display name in emails; when absent, emails show the supplier id. */
  users?: Pick<UserStore, "listUsers">;
  /**
   * Told of every ready or failed export, after its email; composed in
   * `lib/config.ts` (webhooks subscribe here, so this domain never imports them).
   */
  outcomeHooks: readonly ExportOutcomeHook[];
  log: Logger;
  now: () => Date;
  /**
   * Called at each step boundary of the worker. A no-op in production; tests
   * throw from it to simulate a crash at that point and prove the next
   * delivery finishes the export exactly once.
   */
  checkpoint?: (name: WorkerCheckpoint, exportId: string) => void;
}

/**
 * A subscriber to export outcomes. Awaited, in order: a hook that throws makes
 * the delivery a retry, and the next delivery calls every hook again, so
 * delivery is at least once and each hook must be idempotent.
 */
export interface ExportOutcomeHook {
  /** For logs. */
  name: string;
  /** `rec` is ready or failed, as it stands after its last transition. */
  exportFinished(rec: ExportRecord): Promise<void>;
  /**
   * `rec` was just cancelled (called once by the request that cancelled it; a
   * hook that throws is logged, not retried, so a hook must also notice a
   * cancelled export on its own later, as the scheduler's tick does).
   */
  exportCancelled?(rec: ExportRecord): Promise<void>;
}

export type WorkerCheckpoint =
  | "claimed"
  | "submitted"
  | "query-finished"
  /** Resumable archive: a part was written (its checkpoint not yet saved), then its checkpoint saved. */
  | "archive-part"
  | "archive-checkpoint"
  | "archive-written"
  | "ready"
  | "notified";

/**
 * Thrown by a test's `checkpoint` to stand for the process dying at that
 * point: the worker lets it through untouched (no retry step, no release),
 * exactly as if the process had stopped there.
 */
export class SimulatedCrash extends Error {
  constructor(at: WorkerCheckpoint) {
    super(`simulated crash at ${at}`);
    this.name = "SimulatedCrash";
  }
}
