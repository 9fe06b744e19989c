/** What schedules and push destinations need: their store, the pushers, and their settings. Built by `lib/config.ts`. */
import type { ExportDeps } from "../exports/deps";
import type { DestinationPusher, ScheduleStore } from "../ports";
import type { DeliveryDeps } from "../webhooks/deliveries";

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

/**
 * The scheduler's, the pushes' and the schedule routes' deps: the export
 * domain's, the delivery lane (pushes and `export.delivered` webhooks ride
 * on it; its claim store also holds the runs' idempotency keys), and the
 * schedule support.
 */
export type SchedulingDeps = ExportDeps & DeliveryDeps & { schedules: ScheduleSupport };
