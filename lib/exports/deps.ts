import type { Logger } from "pino";
import type { DestinationPusher, JobStore, Mailer, ObjectStore, Queue, RequestClaimStore, ScheduleStore, Warehouse, WebhookStore } from "../ports";
import type { WebhookSettings } from "../webhooks/settings";
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
  /** Part files compressed at once. */
  zipConcurrency: number;
  /** Folder for compressed parts waiting their turn in the zip. */
  spoolDir: string;
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
}

/** What schedules and push destinations need besides the export deps (lib/schedules). */
export interface ScheduleSupport {
  store: ScheduleStore;
  /** Runs are requested through the API's path (`submitExport` with `deps.claims`): idempotency keys and the per-supplier limit apply. */
  limits: { maxActiveExportsPerSupplier: number; idempotencyTtlSeconds: number };
  pushers: { s3: DestinationPusher; sftp: DestinationPusher };
  settings: {
    /** Seals destination credentials at rest (derived from AUTH_SECRET, like webhook secrets). */
    secretKey: string;
    /** Attempts of one push before it counts as failed (and the supplier is emailed). */
    maxAttempts: number;
    /** Delay before the second attempt; doubles with each. */
    retryBaseSeconds: number;
  };
}

/** Everything the export domain needs from the outside world. Built once by `lib/config.ts`. */
export interface ExportDeps {
  jobs: JobStore;
  queue: Queue;
  deadLetterQueue: Queue;
  /**
   * The delivery lane (issue 12, finding 2): webhook attempts and other
   * deliveries to suppliers' systems (message types in workers/delivery-dispatch.ts)
   * go here, never on `queue`, and are worked by slots of their own, so an
   * endpoint that hangs or fails never holds up an export.
   */
  deliveryQueue: Queue;
  /** Where delivery messages land after failing every receive (store faults only; attempts retry by new messages). */
  deliveryDeadLetterQueue: Queue;
  /** Shared claims: idempotency keys, active-request fingerprints, and the delivery lane's concurrency slots. */
  claims: RequestClaimStore;
  warehouse: Warehouse;
  /** Where the warehouse writes part files (S3 unload bucket / local folder). */
  unloadStore: ObjectStore;
  /** Where archives are kept and downloaded from. */
  archiveStore: ObjectStore;
  mailer: Mailer;
  settings: ExportSettings;
  /** Schedules and push destinations (issue 14); when absent, finished exports are nobody's run. */
  schedules?: ScheduleSupport;
  /**
   * Called once per delivery that leaves an export ready, failed or cancelled
   * (after the email and webhooks), so layers above the export domain (the
   * scheduler's pushes and cursors) react without the worker knowing them.
   * Each must be idempotent: a redelivered step calls them again.
   */
  outcomeHooks?: ReadonlyArray<(deps: ExportDeps, rec: ExportRecord) => Promise<void>>;
  /** Webhook endpoints and delivery settings (issue 5); when absent, finished exports enqueue no deliveries. */
  webhooks?: { store: WebhookStore; settings: WebhookSettings };
  log: Logger;
  now: () => Date;
  /**
   * Called at each step boundary of the worker. A no-op in production; tests
   * throw from it to simulate a crash at that point and prove the next
   * delivery finishes the export exactly once.
   */
  checkpoint?: (name: WorkerCheckpoint, exportId: string) => void;
}

export type WorkerCheckpoint = "claimed" | "submitted" | "query-finished" | "archive-written" | "ready" | "notified";

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
