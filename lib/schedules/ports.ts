/**
 * The ports of schedules and push destinations (issue 14), re-exported by
 * `lib/ports.ts`: the schedule store (schedules, destinations and their push
 * log; SQLite and DynamoDB adapters, one contract suite) and the pushers that
 * write into a supplier's S3 bucket or SFTP server.
 */
import type { Readable } from "node:stream";
import type { DestinationDeliveryRecord, DestinationRecord, ScheduleRecord } from "./model";

/* -------------------------------------------------------------- ScheduleStore */

/** Condition of a schedule write: every given field must still hold its value. */
export interface ScheduleCondition {
  /** The write applies only while the schedule's `nextRunAt` is this: what keeps two ticking schedulers from starting one run twice. */
  nextRunAt?: string | null;
  /** The write applies only at this version (edits against ticks). */
  version?: number;
}

export type SchedulePatch = Partial<Omit<ScheduleRecord, "id" | "supplierId" | "createdBy" | "createdAt" | "version">>;

export type DestinationDeliveryPatch = Partial<Pick<DestinationDeliveryRecord, "status" | "attempts" | "log" | "location" | "nextAttemptAt" | "failureNotifiedAt" | "updatedAt">>;

/**
 * Schedules, push destinations and their delivery log. Lives next to the
 * export records (same SQLite file / DynamoDB table).
 */
export interface ScheduleStore {
  /** Stores a new schedule (version 1). Throws `ApiError("conflict")` if the id exists. */
  createSchedule(schedule: ScheduleRecord): Promise<void>;
  getSchedule(id: string): Promise<ScheduleRecord | null>;
  /** A supplier's schedules, newest first. */
  listSchedules(supplierId: string): Promise<ScheduleRecord[]>;
  /**
   * Active schedules whose `nextRunAt` is at or before `now`, soonest first,
   * at most `limit`. Paused schedules (nextRunAt null) never appear.
   */
  listDue(now: string, limit: number): Promise<ScheduleRecord[]>;
  /**
   * Compare-and-set: applies `patch` and bumps `version` only if every field
   * of `cond` still holds, atomically. Returns the updated record, or null
   * when the condition failed (another tick or edit wrote first) or the schedule is gone.
   */
  updateSchedule(id: string, cond: ScheduleCondition, patch: SchedulePatch): Promise<ScheduleRecord | null>;
  /** Deletes the supplier's schedule; false when there is none with that id for that supplier. */
  deleteSchedule(id: string, supplierId: string): Promise<boolean>;

  /** Stores a new destination. Throws `ApiError("conflict")` if the id exists. */
  createDestination(destination: DestinationRecord): Promise<void>;
  getDestination(id: string): Promise<DestinationRecord | null>;
  /** A supplier's destinations, newest first. */
  listDestinations(supplierId: string): Promise<DestinationRecord[]>;
  /** Replaces the public config (e.g. a host key pinned on first use) of the supplier's destination. */
  updateDestinationConfig(id: string, supplierId: string, config: DestinationRecord["config"]): Promise<boolean>;
  /** Deletes the supplier's destination; false when there is none with that id for that supplier. */
  deleteDestination(id: string, supplierId: string): Promise<boolean>;

  /** Inserts a delivery unless one with its id exists; true when inserted (so a redelivered step schedules it once). */
  createDelivery(delivery: DestinationDeliveryRecord): Promise<boolean>;
  getDelivery(id: string): Promise<DestinationDeliveryRecord | null>;
  /**
   * Compare-and-set on the attempt count: applies `patch` only if the
   * delivery still has `expectedAttempts` attempts. False when another worker recorded it first.
   */
  recordDeliveryAttempt(id: string, expectedAttempts: number, patch: DestinationDeliveryPatch): Promise<boolean>;
  /** Deliveries of one export, oldest first. */
  listDeliveriesForExport(exportId: string): Promise<DestinationDeliveryRecord[]>;
  /** A destination's deliveries, newest first, at most `limit`. */
  listDeliveries(destinationId: string, limit: number): Promise<DestinationDeliveryRecord[]>;
}

/* --------------------------------------------------------- DestinationPusher */

/** A push that failed; `retryable` false for faults no retry can fix (wrong password, host key mismatch, no such bucket). */
export class PushError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "PushError";
  }
}

export interface PushResult {
  /** Where the file went: `s3://bucket/key` or `sftp://host:port/path`. */
  location: string;
  /** SFTP: the server's host key as `SHA256:<base64>`, for pinning on first use. */
  hostKeyFingerprint?: string;
}

/**
 * Writes files into a supplier's own storage (their S3 bucket, their SFTP
 * server). One adapter per destination kind, chosen by `lib/config.ts`.
 */
export interface DestinationPusher {
  /**
   * Streams `open()` to `fileName` under the destination's folder or prefix,
   * so that the file appears whole (SFTP: written under a temporary name,
   * then renamed). `secret` is the opened credential (password or private
   * key), null for S3 roles. Throws `PushError`.
   */
  push(destination: DestinationRecord, secret: string | null, fileName: string, open: () => Promise<Readable>): Promise<PushResult>;
  /** "Test connection": writes a small file and deletes it again. Throws `PushError`. */
  test(destination: DestinationRecord, secret: string | null): Promise<PushResult>;
}
