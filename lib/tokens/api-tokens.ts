/**
 * API tokens for partner applications: create (the secret is returned once),
 * list, revoke, and verify a presented token into the `Actor` it stands for.
 *
 * A token reads `pep_<prefix>_<secret>`: the prefix (12 hex chars) is public
 * and finds the record; the secret is 32 random bytes. Only the SHA-256 of the
 * whole token is stored. A fast hash is right here, unlike for passwords: the
 * secret has 256 bits of entropy, so there is nothing for a slow hash to
 * protect against (no dictionary to try), and verification runs on every API
 * request, where scrypt would cost tens of milliseconds each.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import type { Actor } from "../core/actor";
import { ApiError } from "../core/errors";
import { newId } from "../core/ids";
import { zodDetails } from "../core/validation";
import type { ApiTokenRecord, ApiTokenStore, SupplierStore, UserStore } from "../ports";
import { LEGACY_TOKEN_SCOPES, TOKEN_SCOPES } from "./scopes";

export interface TokenDeps {
  tokens: ApiTokenStore;
  users: UserStore;
  /** When given, a token of a disabled supplier is refused. */
  suppliers?: SupplierStore;
  now: () => Date;
}

/** Longest expiry a token can be given; no expiry at all is allowed too (null). */
export const MAX_TOKEN_DAYS = 730;

/** `lastUsedAt` is written at most this often per token: not a write per request. */
export const LAST_USED_RESOLUTION_MS = 60_000;

const TOKEN_PATTERN = /^pep_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export const ZCreateTokenRequest = z
  .object({
    /** What the token is for, e.g. "ERP nightly sync". */
    name: z.string().trim().min(1, "Give the token a name.").max(80),
    /**
     * What the token may do; at least one. Omitted: the rights every token had
     * before scopes existed (exports:read, exports:write, webhooks:manage), so
     * existing integrations keep working; Settings always asks.
     */
    scopes: z
      .array(z.enum(TOKEN_SCOPES))
      .min(1, "Give the token at least one scope.")
      .max(TOKEN_SCOPES.length)
      .transform((s) => [...new Set(s)])
      .default([...LEGACY_TOKEN_SCOPES]),
    /** Days until the token stops working; omit (or null) for no expiry. */
    expiresInDays: z.number().int().min(1).max(MAX_TOKEN_DAYS).nullish(),
  })
  .strict();

/** A token as the API shows it: never the hash. */
export const ZApiToken = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string().describe("The token's public part: tokens start with `pep_<prefix>_`."),
  createdAt: z.string(),
  createdBy: z.string().describe("User id of who created it."),
  lastUsedAt: z.string().nullable().describe("Updated at most once a minute."),
  revokedAt: z.string().nullable(),
  scopes: z.array(z.string()).describe("What the token may do (exports:read, exports:write, webhooks:manage, audit:read)."),
  expiresAt: z.string().nullable().describe("After this the token is refused; null: no expiry."),
});
export type TApiToken = z.infer<typeof ZApiToken>;

export function toPublicToken(t: ApiTokenRecord): TApiToken {
  return {
    id: t.id,
    name: t.name,
    prefix: t.prefix,
    createdAt: t.createdAt,
    createdBy: t.userId,
    lastUsedAt: t.lastUsedAt,
    revokedAt: t.revokedAt,
    scopes: t.scopes,
    expiresAt: t.expiresAt,
  };
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

function supplierOf(actor: Actor): string {
  if (actor.role !== "supplier" || !actor.supplierId) throw new ApiError("forbidden", "API tokens belong to a supplier; admin accounts cannot create them.");
  return actor.supplierId;
}

/**
 * Active (unrevoked) tokens one supplier may hold. The API's rate limit is
 * per token, so without a cap a supplier multiplied its allowance by minting
 * tokens (issue 12, finding 12); with it, by at most this much.
 */
export const MAX_ACTIVE_TOKENS_PER_SUPPLIER = 10;

/** Creates a token for the actor's supplier. The returned `secret` is the whole token, shown this once. */
export async function createApiToken(deps: TokenDeps, actor: Actor, input: unknown): Promise<{ token: TApiToken; secret: string }> {
  const parsed = ZCreateTokenRequest.safeParse(input);
  if (!parsed.success) throw new ApiError("validation_failed", "The token request is not valid.", zodDetails(parsed.error));
  const supplierId = supplierOf(actor);
  const active = (await deps.tokens.listTokens(supplierId)).filter((t) => t.revokedAt === null).length;
  if (active >= MAX_ACTIVE_TOKENS_PER_SUPPLIER) {
    throw new ApiError("conflict", `A supplier can have up to ${MAX_ACTIVE_TOKENS_PER_SUPPLIER} active API tokens; revoke one first.`);
  }
  const prefix = randomBytes(6).toString("hex");
  const secret = `pep_${prefix}_${randomBytes(32).toString("base64url")}`;
  const now = deps.now();
  const record: ApiTokenRecord = {
    id: newId("tok", now.getTime()),
    prefix,
    secretHash: hashToken(secret),
    name: parsed.data.name,
    userId: actor.userId,
    supplierId,
    createdAt: now.toISOString(),
    lastUsedAt: null,
    revokedAt: null,
    scopes: parsed.data.scopes,
    expiresAt: parsed.data.expiresInDays ? new Date(now.getTime() + parsed.data.expiresInDays * 86_400_000).toISOString() : null,
  };
  await deps.tokens.createToken(record);
  return { token: toPublicToken(record), secret };
}

export async function listApiTokens(deps: TokenDeps, actor: Actor): Promise<TApiToken[]> {
  return (await deps.tokens.listTokens(supplierOf(actor))).map(toPublicToken);
}

/** Revokes one of the actor's supplier's tokens; another supplier's token is a 404. */
export async function revokeApiToken(deps: TokenDeps, actor: Actor, id: string): Promise<TApiToken> {
  const revoked = /^tok_[0-9a-z]{22}$/.test(id) ? await deps.tokens.revokeToken(id, supplierOf(actor), deps.now().toISOString()) : null;
  if (!revoked) throw new ApiError("not_found", "Token not found.");
  return toPublicToken(revoked);
}

export interface VerifiedToken {
  actor: Actor;
  token: ApiTokenRecord;
}

/**
 * The actor a presented token stands for, or null when it is malformed,
 * unknown, revoked, or its user no longer belongs to the token's supplier.
 * The token acts as its creator, within the token's supplier only.
 */
export async function verifyApiToken(deps: TokenDeps, presented: string): Promise<VerifiedToken | null> {
  const m = TOKEN_PATTERN.exec(presented);
  if (!m) return null;
  const token = await deps.tokens.getTokenByPrefix(m[1]!);
  if (!token || token.revokedAt) return null;
  const now = deps.now();
  if (token.expiresAt && token.expiresAt <= now.toISOString()) return null;
  const a = Buffer.from(hashToken(presented), "hex");
  const b = Buffer.from(token.secretHash, "hex");
  if (a.length !== b.length || !timingSafeEqual(a, b)) return null;
  const user = await deps.users.getUser(token.userId);
  // A disabled or removed creator, or a disabled supplier, ends the token at once (issue 15).
  if (!user || user.role !== "supplier" || user.supplierId !== token.supplierId || user.disabledAt) return null;
  if (deps.suppliers && (await deps.suppliers.getSupplier(token.supplierId))?.disabledAt) return null;
  const staleBefore = new Date(now.getTime() - LAST_USED_RESOLUTION_MS).toISOString();
  // Skip the write when the record we just read is fresh (a refused conditional write still costs
  // one on DynamoDB); the condition in the store settles races between processes. Best effort:
  // failed bookkeeping must not fail the request.
  if (token.lastUsedAt === null || token.lastUsedAt < staleBefore) {
    await deps.tokens.touchToken(token.prefix, now.toISOString(), staleBefore).catch(() => undefined);
  }
  return {
    actor: {
      userId: user.id,
      email: user.email,
      role: "supplier",
      supplierId: token.supplierId,
      membership: user.membership ?? "viewer",
      scopes: token.scopes,
      tokenId: token.id,
    },
    token,
  };
}
