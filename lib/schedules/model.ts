/**
 * Schedules, destinations and push deliveries: the records, their input
 * schemas, and the next-run rule. A schedule stores an ordinary export request
 * (validated by `ZCreateExportRequest`, so whatever the export form can ask
 * for, a schedule can repeat).
 */
import { Cron } from "croner";
import { z } from "zod";
import { ZCreateExportRequest } from "../exports/schemas";

export const ZScheduleIdPattern = /^sch_[0-9a-z]{22}$/;
export const ZDestinationIdPattern = /^dst_[0-9a-z]{22}$/;
export const ZDestinationDeliveryIdPattern = /^ddl_[0-9a-z_]{1,120}$/;

/** Daily, weekly or monthly at a wall-clock time in the schedule's time zone, or a cron expression. */
export const ZCadence = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("daily"), time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "Use a time like 06:30.") }).strict(),
  z
    .object({
      kind: z.literal("weekly"),
      time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "Use a time like 06:30."),
      /** 0 = Sunday ... 6 = Saturday. */
      weekday: z.number().int().min(0).max(6),
    })
    .strict(),
  z
    .object({
      kind: z.literal("monthly"),
      time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "Use a time like 06:30."),
      /** 1..28, so every month has the day (no "31st" that February skips). */
      dayOfMonth: z.number().int().min(1).max(28),
    })
    .strict(),
  z.object({ kind: z.literal("cron"), expression: z.string().min(9).max(120) }).strict(),
]);
export type TCadence = z.infer<typeof ZCadence>;

const ZTimeZone = z
  .string()
  .max(64)
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, "Not a known time zone (use an IANA name such as Europe/Amsterdam).");

export const ZScheduleInput = z
  .object({
    name: z.string().trim().min(1).max(100),
    /** The export each run requests: the same body as POST /api/v1/exports. */
    request: ZCreateExportRequest,
    cadence: ZCadence,
    timezone: ZTimeZone.default("UTC"),
    /** Only rows changed since the last delivered run (datasets with a change cursor only). */
    incremental: z.boolean().default(false),
    /** Where each ready run is pushed, besides the download (and email, when the request says notify). */
    destinationIds: z.array(z.string().regex(ZDestinationIdPattern)).max(5).default([]),
  })
  .strict();
export type TScheduleInput = z.input<typeof ZScheduleInput>;

/**
 * A partial edit; whatever is given replaces the stored value. Built without
 * the input's defaults: `.partial()` would keep them, and an edit of the name
 * alone would reset the time zone to UTC and switch incremental off.
 */
export const ZScheduleUpdate = z
  .object({
    name: ZScheduleInput.shape.name,
    request: ZCreateExportRequest,
    cadence: ZCadence,
    timezone: ZTimeZone,
    incremental: z.boolean(),
    destinationIds: z.array(z.string().regex(ZDestinationIdPattern)).max(5),
  })
  .partial()
  .strict();

export type ScheduleStatus = "active" | "paused";
export type RunStatus = "queued" | "running" | "archiving" | "ready" | "delivered" | "failed" | "cancelled" | "expired";

/** The run a schedule has started and not yet settled (one at a time, so incremental windows never overlap). */
export interface PendingRun {
  /** The slot it is for (the `nextRunAt` it was claimed at). */
  slot: string;
  /** Incremental window, half-open [from, to), on the warehouse's clock; null for full exports. */
  windowFrom: string | null;
  windowTo: string | null;
  /** Set once the export exists. */
  exportId: string | null;
  claimedAt: string;
}

export interface ScheduleRecord {
  id: string;
  supplierId: string;
  /** Who created it; runs act as this user. */
  createdBy: string;
  ownerEmail: string;
  name: string;
  /** A parsed `ZCreateExportRequest` body. */
  request: Record<string, unknown>;
  cadence: TCadence;
  timezone: string;
  incremental: boolean;
  destinationIds: string[];
  status: ScheduleStatus;
  /** When the next run is due; null while paused. */
  nextRunAt: string | null;
  /** Incremental watermark: the next run exports rows with cursor >= this (null: from the beginning). */
  cursor: string | null;
  pendingRun: PendingRun | null;
  lastRunAt: string | null;
  lastExportId: string | null;
  lastRunStatus: RunStatus | null;
  /** Why the last run failed or was not started yet, for people. */
  lastRunError: string | null;
  /** Bumped by every write: edits and ticks compare-and-set on it. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

/* -------------------------------------------------------------- destinations */

export const ZS3DestinationInput = z
  .object({
    kind: z.literal("s3"),
    name: z.string().trim().min(1).max(100),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "Not a valid S3 bucket name."),
    prefix: z
      .string()
      .max(200)
      .regex(/^([A-Za-z0-9!_.*'()-]+\/)*$/, "A prefix is empty or folders ending in /, e.g. exports/acme/.")
      .refine((p) => !p.split("/").some((seg) => seg === "." || seg === ".."), "A prefix has no . or .. folders.")
      .default(""),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "Use a region like eu-west-1."),
    /** The role the portal assumes in the supplier's account (with the external id shown to them). */
    roleArn: z
      .string()
      .regex(/^arn:aws:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, "Use a role ARN like arn:aws:iam::123456789012:role/portal-upload.")
      .optional(),
  })
  .strict();

export const ZSftpDestinationInput = z
  .object({
    kind: z.literal("sftp"),
    name: z.string().trim().min(1).max(100),
    host: z.string().regex(/^[A-Za-z0-9.-]{1,253}$/, "A host name or IPv4 address."),
    port: z.number().int().min(1).max(65535).default(22),
    username: z.string().min(1).max(100),
    password: z.string().min(1).max(1000).optional(),
    privateKey: z.string().min(1).max(20_000).optional(),
    /** The server's host key as `SHA256:<base64>` (ssh-keygen -lf); omitted: pinned on first connection. */
    hostKeyFingerprint: z
      .string()
      .regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, "Use the fingerprint as ssh-keygen prints it: SHA256:...")
      .optional(),
    /** Folder on the server the files go into (created if missing). */
    directory: z.string().max(500).regex(/^[^\0\\]*$/).default("."),
  })
  .strict()
  .refine((d) => Boolean(d.password) !== Boolean(d.privateKey), { message: "Give either a password or a private key.", path: ["password"] });

export const ZDestinationInput = z.union([ZS3DestinationInput, ZSftpDestinationInput]);
export type TDestinationInput = z.input<typeof ZDestinationInput>;

/** What is safe to show: no password, no key. */
export type DestinationConfig =
  | { kind: "s3"; bucket: string; prefix: string; region: string; roleArn: string | null; externalId: string }
  | { kind: "sftp"; host: string; port: number; username: string; directory: string; hostKeyFingerprint: string | null; auth: "password" | "privateKey" };

export interface DestinationRecord {
  id: string;
  supplierId: string;
  name: string;
  config: DestinationConfig;
  /** Password or private key, sealed (lib/webhooks/secrets.ts); null for S3 (the role is the credential). */
  sealedCredentials: string | null;
  createdBy: string;
  createdAt: string;
}

export type DestinationDeliveryStatus = "pending" | "delivered" | "failed";

/** One push of one export to one destination, with its attempt log. */
export interface DestinationDeliveryRecord {
  id: string;
  destinationId: string;
  supplierId: string;
  exportId: string;
  scheduleId: string | null;
  status: DestinationDeliveryStatus;
  attempts: number;
  /** One line per attempt: when, and what happened. */
  log: { at: string; ok: boolean; message: string }[];
  /** Where the file went (key or remote path), once delivered. */
  location: string | null;
  nextAttemptAt: string | null;
  /** The "delivery failed" email went out (once). */
  failureNotifiedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/* ------------------------------------------------------------------- timing */

/** The croner pattern of a cadence (seconds field omitted: minute resolution). */
export function cronPattern(c: TCadence): string {
  if (c.kind === "cron") return c.expression;
  const [h, m] = c.time.split(":").map(Number);
  if (c.kind === "daily") return `${m} ${h} * * *`;
  if (c.kind === "weekly") return `${m} ${h} * * ${c.weekday}`;
  return `${m} ${h} ${c.dayOfMonth} * *`;
}

/** Croner's verdict on an expression, for validation messages. */
export function checkCadence(c: TCadence, timezone: string): string | null {
  try {
    const next = new Cron(cronPattern(c), { timezone, paused: true }).nextRun(new Date());
    return next ? null : "This schedule never runs.";
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * The first slot strictly after `after`, in the schedule's time zone (croner
 * handles DST: a 02:30 that does not exist on the spring-forward day runs at
 * the next valid minute, and a time that occurs twice in autumn runs once).
 */
export function nextRunAfter(c: TCadence, timezone: string, after: Date): string | null {
  const next = new Cron(cronPattern(c), { timezone, paused: true }).nextRun(after);
  return next ? next.toISOString() : null;
}
