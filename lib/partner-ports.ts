/**
 * The ports of the partner API: API tokens, Idempotency-Key claims, the
 * request rate limiter and webhooks. Re-exported by `lib/ports.ts` (kept
 * under 500 lines), so callers import every port from one place. Every
 * adapter passes the contract suite in `test/contracts/` for its port.
 */

/* -------------------------------------------------------------- ApiTokenStore */

/** An API token as stored: never the secret itself, only its SHA-256. */
export interface ApiTokenRecord {
  id: string;
  /** The public part of the token (`pep_<prefix>_<secret>`); unique, used to find the record. */
  prefix: string;
  /** Hex SHA-256 of the whole token string. */
  secretHash: string;
  name: string;
  /** Who created it; the token acts as this user. */
  userId: string;
  /** The supplier the token is scoped to (the creator's supplier at creation). */
  supplierId: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  /** What the token may do (lib/tokens/scopes.ts), within its creator's membership. */
  scopes: string[];
  /** After this the token is refused; null: no expiry. */
  expiresAt: string | null;
}

/** API tokens of partner applications. Lives next to the users (same SQLite file / DynamoDB table). */
export interface ApiTokenStore {
  /** Stores a new token; throws `ApiError("conflict")` when its id or prefix exists. */
  createToken(token: ApiTokenRecord): Promise<void>;
  /** The token with this prefix (revoked ones included), or null. */
  getTokenByPrefix(prefix: string): Promise<ApiTokenRecord | null>;
  /** A supplier's tokens, revoked ones included, newest first. */
  listTokens(supplierId: string): Promise<ApiTokenRecord[]>;
  /**
   * Marks the supplier's token revoked at `at`. Returns the updated record, or
   * null when no such token belongs to that supplier. Revoking twice keeps the first time.
   */
  revokeToken(id: string, supplierId: string, at: string): Promise<ApiTokenRecord | null>;
  /**
   * Revokes every unrevoked token `userId` made for the supplier, at `at`
   * (a password change ends them); returns how many it revoked.
   */
  revokeUserTokens(supplierId: string, userId: string, at: string): Promise<number>;
  /**
   * Sets `lastUsedAt = at` only when it is unset or older than `staleBefore`:
   * a conditional write, so busy tokens cost one write a minute, not one per request.
   */
  touchToken(prefix: string, at: string, staleBefore: string): Promise<void>;
}

/* ---------------------------------------------------------- RequestClaimStore */

/**
 * A short-lived claim on a key, held for one export: an `Idempotency-Key`
 * (kept 24 h) or the fingerprint of an active request (kept while the export
 * is queued or running). The conditional insert is what makes 20 concurrent
 * identical requests create one export: exactly one `claim` succeeds.
 */
export interface RequestClaim {
  /** Namespaced by its user, e.g. `idem:<supplier>:<key>` or `active:<supplier>:<hash>`. */
  key: string;
  exportId: string;
  /** SHA-256 of the canonical request body, to tell a replay from a different request under the same key. */
  requestHash: string;
  createdAt: string;
  /** After this the claim counts as absent (and the backend's TTL may delete it). */
  expiresAt: string;
}

export interface RequestClaimStore {
  /**
   * Inserts `claim` unless a claim that has not expired at `now` holds the
   * key, atomically. Returns null when inserted, else the claim that holds it.
   */
  claim(claim: RequestClaim, now: string): Promise<RequestClaim | null>;
  /** Replaces the key's claim only if it is still held for `expectedExportId`. True when replaced. */
  replace(claim: RequestClaim, expectedExportId: string): Promise<boolean>;
  /** Deletes the key's claim if it is held for `exportId`; otherwise a no-op. */
  release(key: string, exportId: string): Promise<void>;
}

/* ---------------------------------------------------------------- RateLimiter */

export interface RateLimitVerdict {
  allowed: boolean;
  /** Whole seconds until the key's window ends and one more request would be allowed (0 when allowed). */
  retryAfterSeconds: number;
  /** Requests the key has left in this window. */
  remaining: number;
}

/**
 * The API's request rate limit, counted in a store every web process and
 * Lambda instance shares (so N instances still allow the limit once, not N
 * times): a fixed window of `windowSeconds` per key, at most `limit` requests
 * in it. Taking is one atomic conditional write: of concurrent requests over
 * the limit, none is allowed.
 */
export interface RateLimiter {
  /** Counts one request for `key` (a token id, or a supplier for session callers) at `now`, if the key has one left. */
  take(key: string, now?: Date): Promise<RateLimitVerdict>;
}

/* --------------------------------------------------------------- WebhookStore */

/** `export.delivered`: a scheduled run was ready and pushed to every destination of its schedule (lib/schedules). */
export const WEBHOOK_EVENTS = ["export.ready", "export.failed", "export.delivered"] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export interface WebhookEndpointRecord {
  id: string;
  supplierId: string;
  url: string;
  events: WebhookEvent[];
  /**
   * The HMAC signing secret, sealed (AES-256-GCM, lib/webhooks/secrets.ts):
   * it cannot be hashed, since each delivery is signed with it. Stores keep it
   * as an opaque string. Shown to the supplier once, at creation.
   */
  secret: string;
  description: string;
  createdBy: string;
  createdAt: string;
}

export type WebhookDeliveryStatus = "pending" | "delivered" | "failed";

export interface WebhookDeliveryRecord {
  /** Also the `Webhook-Id` header: the receiver's deduplication key. */
  id: string;
  endpointId: string;
  supplierId: string;
  exportId: string;
  event: WebhookEvent;
  /** The exact JSON body sent on every attempt. */
  payload: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  lastAttemptAt: string | null;
  lastStatusCode: number | null;
  /** A transport error or a short excerpt of the response (never the whole body). */
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
}

export type WebhookAttemptPatch = Pick<WebhookDeliveryRecord, "status" | "attempts" | "lastAttemptAt" | "lastStatusCode" | "lastError" | "nextAttemptAt">;

/** Webhook endpoints and their delivery log. */
export interface WebhookStore {
  createEndpoint(endpoint: WebhookEndpointRecord): Promise<void>;
  getEndpoint(id: string): Promise<WebhookEndpointRecord | null>;
  /** A supplier's endpoints, newest first. */
  listEndpoints(supplierId: string): Promise<WebhookEndpointRecord[]>;
  /** Deletes the supplier's endpoint; false when there is none with that id for that supplier. */
  deleteEndpoint(id: string, supplierId: string): Promise<boolean>;
  /** Inserts a delivery unless one with its id exists. True when inserted (so a redelivered worker step enqueues once). */
  createDelivery(delivery: WebhookDeliveryRecord): Promise<boolean>;
  getDelivery(id: string): Promise<WebhookDeliveryRecord | null>;
  /**
   * Compare-and-set on the attempt count: applies `patch` only if the delivery
   * still has `expectedAttempts` attempts. Returns false when another worker recorded it first.
   */
  recordAttempt(id: string, expectedAttempts: number, patch: WebhookAttemptPatch): Promise<boolean>;
  /** An endpoint's deliveries, newest first, at most `limit`. */
  listDeliveries(endpointId: string, limit: number): Promise<WebhookDeliveryRecord[]>;
}
