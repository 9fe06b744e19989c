/**
 * The five ports the export domain talks to. `lib/config.ts` picks one adapter
 * per port (local or AWS); nothing in `lib/exports` knows which one runs.
 * Every adapter must pass the contract suite in `test/contracts/` for its port.
 */
import type { Readable } from "node:stream";
import type { ExportRecord, ExportStatus, ExportStep, ExportListQuery, Page } from "./exports/model";

/* ------------------------------------------------------------------ Warehouse */

export type UnloadFormat = "csv" | "parquet";

export interface UnloadRequest {
  /** The export this statement belongs to; used for labelling and cancellation. */
  exportId: string;
  /**
   * One SELECT statement, every literal already rendered by `quoteLiteral`
   * (Redshift's UNLOAD takes no bind parameters, so neither does the local twin).
   */
  sql: string;
  format: UnloadFormat;
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
  rows: number;
  bytes: number;
}

export interface UnloadManifest {
  entries: ManifestEntry[];
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

export interface Warehouse {
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
   */
  describe(statementId: string): Promise<StatementState>;
  /** Asks the warehouse to stop the statement. Idempotent; a finished statement is left alone. */
  cancel(statementId: string): Promise<void>;
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
   * (used for "poll again later" messages).
   */
  send(body: unknown, opts?: { delaySeconds?: number }): Promise<{ id: string }>;
  /**
   * Receives up to `max` visible messages, waiting up to `waitSeconds` for the
   * first one (long poll). Each delivery is hidden for `visibilitySeconds`, then
   * reappears unless acked. A message delivered more than the queue's maximum
   * receive count moves to its dead-letter queue instead of being delivered.
   */
  receive(opts: { max: number; waitSeconds: number; visibilitySeconds: number; signal?: AbortSignal }): Promise<ReceivedMessage[]>;
  /** Deletes a delivered message: it is done. Acking a stale receipt is a no-op. */
  ack(receipt: string): Promise<void>;
  /** Makes a delivered message visible again after `delaySeconds` (0 = now), keeping its receive count. */
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
   * Keys are relative ("a/b.zip"): no "..", no leading "/", no backslashes.
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
}

/* ------------------------------------------------------------------- JobStore */

/** Condition of a compare-and-set write: the current status must be one of `status`. */
export interface TransitionCondition {
  status: readonly ExportStatus[];
  /** Fields that must still be unset (null) for the write to apply, e.g. `notifiedAt` so mail goes out once. */
  unset?: readonly ("notifiedAt" | "statementId")[];
}

export type ExportPatch = Partial<Omit<ExportRecord, "id" | "supplierId" | "requestedBy" | "dataset" | "params" | "format" | "createdAt">>;

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
   * undefined means every supplier. Cursor pagination: pass back `nextCursor`.
   */
  listExports(query: ExportListQuery): Promise<Page<ExportRecord>>;
  /** Ready exports whose `expiresAt` is before `now`, oldest first, at most `limit`. */
  listExpiredReady(now: string, limit: number): Promise<ExportRecord[]>;
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
  /** `scrypt$N$r$p$salt$hash` (see lib/users/passwords.ts). */
  passwordHash: string;
  createdAt: string;
}

/** Portal users. Lives next to the export records (same SQLite file / DynamoDB table). */
export interface UserStore {
  /** Creates a user; throws `ApiError("conflict")` when the email is taken. */
  createUser(user: UserRecord): Promise<void>;
  /** Replaces name, role, supplier and password hash of an existing user (by id). */
  updateUser(user: UserRecord): Promise<void>;
  /** The user with this (case-insensitive) email, or null. */
  getUserByEmail(email: string): Promise<UserRecord | null>;
  getUser(id: string): Promise<UserRecord | null>;
  /** Every user, by email. */
  listUsers(): Promise<UserRecord[]>;
}
