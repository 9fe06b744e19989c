/**
 * The ports the domain talks to (the partner API's live in ./partner-ports.ts,
 * the teams' in ./team-ports.ts, both re-exported here). `lib/config.ts` picks
 * one adapter per port (local or AWS); nothing in `lib/exports` knows which one runs.
 * Every adapter must pass the contract suite in `test/contracts/` for its port.
 */
import type { Readable } from "node:stream";
import type { ExportRecord, ExportStatus, ExportStep, ExportListQuery, ImmutableExportField, Page } from "./exports/model";

/* ------------------------------------------------------------------ Warehouse */

/** What a warehouse writes itself. (XLSX is made from CSV parts by the worker.) */
export type UnloadFormat = "csv" | "jsonl" | "parquet";

export interface UnloadRequest {
  /** The export this statement belongs to; used for labelling and cancellation. */
  exportId: string;
  /**
   * One SELECT statement, every literal already rendered by `quoteLiteral`
   * (Redshift's UNLOAD takes no bind parameters, so neither does the local twin).
   */
  sql: string;
  format: UnloadFormat;
  /** CSV only: the field separator; default ",". Every part starts with a header line. */
  delimiter?: "," | ";" | "\t";
  /**
   * Where the part files and the manifest go, as a key prefix in the unload
   * object store (ends with "/"). The warehouse writes there itself: rows
   * never pass through the app.
   */
  keyPrefix: string;
}

/** One part file written by the warehouse, as listed in its manifest. */
export interface ManifestEntry {
  /** Key in the unload object store. */
  key: string;
  /**
   * Records in this part, where the warehouse's manifest gives them
   * (Redshift's `record_count`, DuckDB's Parquet stats); absent otherwise
   * (DuckDB CSV). Checks of a part may use it where present.
   */
  rows?: number;
  bytes: number;
}

export interface UnloadManifest {
  entries: ManifestEntry[];
  /** Records in all parts: what the export reports as its row count. */
  rows: number;
  bytes: number;
}

export type StatementState =
  | { state: "running" }
  | { state: "finished"; manifest: UnloadManifest }
  /** The query failed; `message` is the warehouse's own error text. `retryable` is false for faults such as bad SQL. */
  | { state: "failed"; message: string; retryable: boolean }
  /** The statement was cancelled (by us or an operator). */
  | { state: "aborted" };

/** A quick look at a query's result (the export form's preview). */
export interface QueryPreview {
  /** The result's columns, in order, with the warehouse's type names. */
  columns: { name: string; type: string }[];
  /** The first rows in the order the unload writes them, every value as text (null for NULL). */
  rows: (string | null)[][];
  /** The result's row count: exact when the warehouse counted it within the budget, else unknown. */
  count: { kind: "exact"; rows: number } | { kind: "unknown" };
}

export interface Warehouse {
  /**
   * Runs `sql` (one SELECT, as for `submitUnload`) for its first `limit` rows
   * and its row count, giving up on the count after `budgetMs` (the count is
   * then `unknown`, and the warehouse's work on it is stopped). Read only:
   * writes nothing. Throws `BackendError` when the warehouse refuses the
   * query or cannot give the rows within the budget.
   */
  preview(req: { sql: string; limit: number; budgetMs: number }): Promise<QueryPreview>;
  /**
   * Submits the query to be written as part files plus a manifest under
   * `req.keyPrefix`, and returns at once with the warehouse's statement id.
   * It never waits for the query: callers check back with `describe`.
   * Throws `BackendError` (retryable or not) when the statement is refused outright; a query that
   * fails in the warehouse (bad SQL included) is reported by `describe` as failed, as Redshift does.
   */
  submitUnload(req: UnloadRequest): Promise<{ statementId: string }>;
  /**
   * Reports the statement's state. A statement the warehouse no longer knows
   * (e.g. the local process that ran it died) is reported as a retryable failure.
   * `keyPrefix` is the one the statement was submitted with (`UnloadRequest.keyPrefix`):
   * the caller chose it, so a warehouse that finds the manifest by prefix (Redshift)
   * never has to read it back from the warehouse's record of the statement.
   */
  describe(statementId: string, keyPrefix: string): Promise<StatementState>;
  /** Asks the warehouse to stop the statement. Idempotent; a finished statement is left alone. */
  cancel(statementId: string): Promise<void>;
  /**
   * The warehouse's own clock, now (millisecond precision). Incremental
   * schedules take their window's upper bound from it, because rows are
   * stamped by the warehouse (`updated_at`), not by the app's servers.
   * Throws `BackendError` (retryable) when the warehouse cannot be asked.
   */
  currentTime(): Promise<Date>;
  /** Releases connections and files. */
  close(): Promise<void>;
}

/* ---------------------------------------------------------------------- Queue */

export interface ReceivedMessage {
  /** Queue's own id for the message (stable across redeliveries). */
  id: string;
  /** Opaque handle for ack/release of this delivery. */
  receipt: string;
  /** The JSON body as sent. Callers validate it with the message schema. */
  body: unknown;
  /** How many times this message has been delivered, this delivery included (1 on first delivery). */
  receiveCount: number;
}

export interface Queue {
  /**
   * Sends one JSON message. `delaySeconds` (0..900) keeps it invisible that long
   * (used for "poll again later" messages). `fairShareKey` (e.g. the supplier id)
   * names whose work it is: deliveries are shared fairly between keys, so one
   * key's burst of messages cannot starve another's (SQS fair queues: the
   * MessageGroupId of a standard queue; locally, round-robin between keys).
   * Messages without a key share one group.
   */
  send(body: unknown, opts?: { delaySeconds?: number; fairShareKey?: string }): Promise<{ id: string }>;
  /**
   * Receives up to `max` visible messages, waiting up to `waitSeconds` for the
   * first one (long poll). Each delivery is hidden for `visibilitySeconds`, then
   * reappears unless acked. A message delivered more than the queue's maximum
   * receive count moves to its dead-letter queue instead of being delivered.
   * When `signal` aborts, it returns what it has (usually []) instead of throwing.
   */
  receive(opts: { max: number; waitSeconds: number; visibilitySeconds: number; signal?: AbortSignal }): Promise<ReceivedMessage[]>;
  /** Deletes a delivered message: it is done. Acking a stale receipt is a no-op. */
  ack(receipt: string): Promise<void>;
  /**
   * Sets how long a delivered message stays hidden from now (SQS
   * ChangeMessageVisibility): 0 makes it visible at once, keeping its receive
   * count; a worker also calls it to keep a long job's message hidden. A stale
   * receipt is a no-op.
   */
  release(receipt: string, delaySeconds: number): Promise<void>;
  /** Number of messages in the queue, visible or not (for tests, benches and the admin view). */
  depth(): Promise<number>;
}

/* ---------------------------------------------------------------- ObjectStore */

export interface StoredObject {
  key: string;
  bytes: number;
}

export interface SignedUrlOptions {
  /** File name offered to the browser (Content-Disposition: attachment). */
  filename: string;
  expiresInSeconds: number;
}

export interface ObjectStore {
  /**
   * Writes `body` under `key`, streaming it (multipart upload on S3). The object
   * appears whole or not at all: readers never see a partial object.
   * Keys follow `checkObjectKey` (lib/object-keys.ts): relative ("a/b.zip"), no
   * "." or ".." segments, no empty segments, no leading "/", no backslash.
   */
  put(key: string, body: Readable | Buffer, opts?: { contentType?: string }): Promise<StoredObject>;
  /** Opens the object for streaming reads; `range` is inclusive, as in HTTP. Throws `ObjectNotFoundError` when absent. */
  openRead(key: string, range?: { start: number; end: number }): Promise<Readable>;
  /** Size of the object, or null when it does not exist. */
  head(key: string): Promise<StoredObject | null>;
  /** Lists objects whose key starts with `prefix`, in key order. */
  list(prefix: string): Promise<StoredObject[]>;
  /** Deletes one object; deleting a missing object is a no-op. */
  delete(key: string): Promise<void>;
  /** Deletes every object under `prefix`; returns how many were deleted. */
  deletePrefix(prefix: string): Promise<number>;
  /**
   * A short-lived URL that downloads the object as an attachment named
   * `filename`. Signed (S3 presigned, or HMAC for the local store) and refused
   * once expired or tampered with.
   */
  signedDownloadUrl(key: string, opts: SignedUrlOptions): Promise<string>;
  /**
   * For stores whose signed URLs are served by this app (the local store):
   * checks a request's query parameters and returns the object it may read,
   * or "forbidden" when the signature is wrong or expired. Stores whose URLs
   * are served elsewhere (S3) return "not-served-here".
   */
  verifySignedRequest(key: string, query: URLSearchParams): Promise<{ key: string; filename: string } | "forbidden" | "not-served-here">;

  /*
   * Multipart uploads: an object written part by part, possibly by several deliveries
   * (the resumable archive step), that appears whole or not at all when completed.
   * Parts are numbered from 1 (at most 10,000); uploading a part number again replaces it,
   * so a delivery that resumes after a crash simply rewrites the part it was writing.
   */
  /** Smallest part a multipart upload accepts, except its last: 5 MiB on S3, 1 byte on disk. */
  readonly minPartBytes: number;
  /** Starts a multipart upload for `key`; returns the store's id for it (keep it to resume). */
  startMultipart(key: string, opts?: { contentType?: string }): Promise<string>;
  /** Writes part `partNumber` of the upload. */
  uploadPart(key: string, uploadId: string, partNumber: number, body: Buffer): Promise<void>;
  /**
   * An opaque name for `key` of this store that another store's `copyPart` understands (S3:
   * `bucket/key` for CopySource; disk: the file). Only for stores of the same kind.
   */
  copySourceOf(key: string): string;
  /**
   * Writes part `partNumber` as a copy of bytes `range` (inclusive) of the object named by
   * `source` (`copySourceOf`), inside the store (S3 UploadPartCopy): the bytes never pass
   * through this process. Throws `ObjectNotFoundError` when the source is absent and
   * `RangeError` when the range is not within it.
   */
  copyPart(key: string, uploadId: string, partNumber: number, source: string, range: { start: number; end: number }): Promise<void>;
  /**
   * Joins parts 1..`expect.parts` into the object `key` (`expect.bytes` long), which then
   * appears whole. Completing an upload that was already completed (a crash between the
   * completion and the caller's record of it) returns the object, when it is there with the
   * expected size. Throws `BackendError` (not retryable) when a part is missing, the sizes
   * disagree, or the upload is unknown and no such object exists.
   */
  completeMultipart(key: string, uploadId: string, expect: { parts: number; bytes: number }): Promise<StoredObject>;
  /** Drops the upload and its parts; aborting an unknown or finished upload is a no-op. */
  abortMultipart(key: string, uploadId: string): Promise<void>;
}

/* ------------------------------------------------------------------- JobStore */

/** Condition of a compare-and-set write: the current status must be one of `status`. */
export interface TransitionCondition {
  status: readonly ExportStatus[];
  /** Fields that must still be unset (null) for the write to apply, e.g. `notifiedAt` so mail goes out once. */
  unset?: readonly ("notifiedAt" | "statementId")[];
}

export type ExportPatch = Partial<Omit<ExportRecord, ImmutableExportField>>;

/**
 * Who is archiving an export, until when, and how far it got. Kept beside the
 * export (its own row or item, not a field of the record), written by the
 * archive step only.
 */
export interface ArchiveLease {
  exportId: string;
  /** Random token of the delivery archiving now. */
  owner: string;
  /** ISO instant after which another delivery may take the lease over (its owner is presumed dead). */
  expiresAt: string;
  /** Bytes of the unloaded parts read into the archive so far, and in all. */
  bytesDone: number;
  bytesTotal: number;
  updatedAt: string;
  /**
   * The resumable archive's multipart upload (`ObjectStore.startMultipart`) and the zip
   * writer's last checkpoint (JSON text, a few KB: one small record per entry written). Written
   * with the lease, so only its owner writes them; the next delivery that takes the lease reads
   * them and carries on. Null (or absent) before the first part.
   */
  uploadId?: string | null;
  checkpoint?: string | null;
}

export interface JobStore {
  /** Stores a new export with its first steps. Throws if the id exists. */
  createExport(record: ExportRecord, steps: ExportStep[]): Promise<void>;
  /** The export, or null. */
  getExport(id: string): Promise<ExportRecord | null>;
  /**
   * Compare-and-set: applies `patch` (and appends `steps`) only if the export's
   * current state meets `cond`, atomically. Returns the updated record, or null
   * when the condition did not hold (someone else moved the export first).
   * This is what keeps two workers, or a duplicate delivery, from both advancing one export.
   */
  transition(id: string, cond: TransitionCondition, patch: ExportPatch, steps?: ExportStep[]): Promise<ExportRecord | null>;
  /** Appends to the export's step history without touching its state. */
  appendSteps(id: string, steps: ExportStep[]): Promise<void>;
  /** The export's step history, oldest first. */
  listSteps(id: string): Promise<ExportStep[]>;
  /**
   * Exports newest first (by createdAt, then id), filtered; `supplierId`
   * undefined means every supplier. Cursor pagination: pass back `nextCursor`;
   * a malformed cursor throws `ApiError("bad_request")`.
   */
  listExports(query: ExportListQuery): Promise<Page<ExportRecord>>;
  /** Ready exports whose `expiresAt` is before `now`, oldest first, at most `limit`. */
  listExpiredReady(now: string, limit: number): Promise<ExportRecord[]>;
  /**
   * Queued exports last updated before `before`, least recently updated first,
   * at most `limit`: the requeue sweep's candidates (an export whose queue
   * message was never sent, or was lost, stays queued). May lag a write by a
   * moment where the store lists from an index; the sweep re-reads each one.
   */
  listQueuedBefore(before: string, limit: number): Promise<ExportRecord[]>;
  /**
   * How many of the supplier's exports are queued, running or archiving: the
   * per-supplier concurrency limit counts from here, so every web process agrees.
   */
  countActive(supplierId: string): Promise<number>;
  /**
   * Takes, renews or updates the export's archive lease as one conditional
   * write: it applies when there is no lease, when the stored lease is
   * `lease.owner`'s, or when the stored lease expired at or before `now`.
   * Returns false (and writes nothing) when another owner holds a live lease:
   * that is what keeps a duplicate delivery from archiving an export twice at once.
   */
  putArchiveLease(lease: ArchiveLease, now: string): Promise<boolean>;
  /** The export's archive lease (live or expired), or null. */
  getArchiveLease(exportId: string): Promise<ArchiveLease | null>;
  /** Forgets the export's archive lease; a no-op when there is none. */
  deleteArchiveLease(exportId: string): Promise<void>;
}

/* --------------------------------------------------------------------- Mailer */

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /**
   * Same key, same message: a mailer that can deduplicate (the local outbox)
   * sends it once. Lets a redelivered "notify" step avoid a second email.
   */
  idempotencyKey: string;
}

export interface SentMail extends Omit<MailMessage, "idempotencyKey"> {
  messageId: string;
  from: string;
  sentAt: string;
}

export interface Mailer {
  /** Sends the message and returns the provider's message id. */
  send(msg: MailMessage): Promise<{ messageId: string }>;
  /**
   * The messages sent so far, newest first, where the mailer keeps them (the
   * local outbox); null for mailers that cannot list what they sent (SES).
   */
  listSent(limit: number): Promise<SentMail[] | null>;
}

/* ------------------------------------------------------------------ UserStore */

export type UserRole = "supplier" | "admin";

/**
 * A supplier user's role within their supplier: owners manage members, tokens,
 * webhooks, destinations and schedules; members request and download exports;
 * viewers download only. Admins have none (they belong to no supplier).
 */
export const MEMBERSHIPS = ["owner", "member", "viewer"] as const;
export type Membership = (typeof MEMBERSHIPS)[number];

export interface UserRecord {
  id: string;
  /** Lower-cased; unique. */
  email: string;
  name: string;
  role: UserRole;
  /** The supplier a supplier user belongs to; null for admins. */
  supplierId: string | null;
  /** Display name of that supplier (denormalised for the UI). */
  supplierName: string | null;
  /** `scrypt$N$r$p$salt$hash` (see lib/users/passwords.ts); empty for a user who signs in through SSO only or has not accepted an invitation yet. */
  passwordHash: string;
  createdAt: string;
  /** The role within the supplier; null for admins. */
  membership: Membership | null;
  /**
   * Sessions and tokens carry the version they were made under; one that does
   * not match is refused. Bumped (never set) by `bumpSessionVersion`: sign-out,
   * password change, disabling and removal end every session at once.
   */
  sessionVersion: number;
  /** When an admin disabled the account; a disabled user cannot sign in and their tokens are refused. */
  disabledAt: string | null;
}

/** What `UserStore.changeMembership` did. */
export type MembershipChange = "changed" | "last_owner" | "not_found";

/** Portal users. Lives next to the export records (same SQLite file / DynamoDB table). */
export interface UserStore {
  /** Creates a user; throws `ApiError("conflict")` when the email is taken. */
  createUser(user: UserRecord): Promise<void>;
  /**
   * Replaces name, role, supplier, membership, disabledAt and password hash of
   * an existing user (by id). Never the email, creation time or session
   * version: a stale read-modify-write must not undo a bump.
   */
  updateUser(user: UserRecord): Promise<void>;
  /**
   * Adds one to the user's session version atomically and returns the new
   * value, so every session and token made under the old one stops working;
   * null when the user does not exist.
   */
  bumpSessionVersion(id: string): Promise<number | null>;
  /** Deletes the user (and frees the email). False when there was none. */
  deleteUser(id: string): Promise<boolean>;
  /**
   * Sets a supplier member's membership, or removes the member (`null`: as
   * `deleteUser`), unless that leaves their supplier without an active owner
   * (membership owner, not disabled): then "last_owner" and nothing changes.
   * The check and the write are one atomic step, so of two owners demoting
   * or removing each other at the same instant at most one succeeds.
   * "not_found" when there is no such supplier user.
   */
  changeMembership(id: string, membership: Membership | null): Promise<MembershipChange>;
  /** The user with this (case-insensitive) email, or null. */
  getUserByEmail(email: string): Promise<UserRecord | null>;
  getUser(id: string): Promise<UserRecord | null>;
  /** Every user, by email. */
  listUsers(): Promise<UserRecord[]>;
}

/* ------------------------------- ApiTokenStore, RequestClaimStore, RateLimiter, WebhookStore */

// The partner API's ports live in ./partner-ports.ts (this file stays under 500 lines); re-exported here.
export * from "./partner-ports";

/* ------------------------------------------------- SupplierStore, AuditStore */

// Issue 15's ports live in ./team-ports.ts (this file stays under 500 lines); re-exported so callers import ports from one place.
export type { AuditEntry, AuditQuery, AuditStore, SupplierRecord, SupplierStore } from "./team-ports";

/* ---------------------------------------- ScheduleStore, DestinationPusher */

// The schedule store and the destination pushers live beside the schedule model (this file stays under 500 lines).
export * from "./schedules/ports";
