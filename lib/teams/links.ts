/**
 * Signed, expiring, single-use links for invitations and password resets.
 *
 * A link token is `<payload>.<hmac>`: the payload names the purpose, the user,
 * the user's session version when the link was made, and the expiry; the
 * HMAC-SHA256 under a key derived from AUTH_SECRET makes it unforgeable.
 * Single use comes from the session version: accepting an invitation or
 * resetting a password bumps it, so the same link (and every older one) no
 * longer matches. No table of issued links is needed in either backend.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { ApiError } from "../core/errors";
import type { UserRecord, UserStore } from "../ports";

export type LinkPurpose = "invite" | "reset";

interface Payload {
  p: LinkPurpose;
  u: string;
  v: number;
  /** Expiry, seconds since epoch. */
  e: number;
}

function sign(key: string, payload: string): string {
  return createHmac("sha256", Buffer.from(key, "hex")).update(payload).digest("base64url");
}

/** A link token for `user`, valid `ttlSeconds` from `now` and until their session version moves. */
export function createLinkToken(key: string, purpose: LinkPurpose, user: Pick<UserRecord, "id" | "sessionVersion">, ttlSeconds: number, now: Date): string {
  const payload: Payload = { p: purpose, u: user.id, v: user.sessionVersion, e: Math.floor(now.getTime() / 1000) + ttlSeconds };
  const body = Buffer.from(JSON.stringify(payload)).toString("base64url");
  return `${body}.${sign(key, body)}`;
}

const MESSAGES: Record<LinkPurpose, { invalid: string; expired: string; used: string }> = {
  invite: {
    invalid: "This invitation link is not valid. Ask for a new invitation.",
    expired: "This invitation has expired. Ask the person who invited you to send a new one.",
    used: "This invitation has already been used (or replaced by a newer one). Sign in, or ask for a new invitation.",
  },
  reset: {
    invalid: "This password reset link is not valid. Ask for a new one.",
    expired: "This password reset link has expired. Ask for a new one.",
    used: "This password reset link has already been used (or replaced by a newer one). Ask for a new one.",
  },
};

/**
 * The user a link token is for, or an `ApiError` (400 bad_request, 410-like
 * wording) saying why not: forged, for another purpose, expired, or already used.
 */
export async function verifyLinkToken(key: string, purpose: LinkPurpose, token: unknown, users: UserStore, now: Date): Promise<UserRecord> {
  const msg = MESSAGES[purpose];
  if (typeof token !== "string" || token.length > 1000) throw new ApiError("bad_request", msg.invalid);
  const [body, mac, extra] = token.split(".");
  if (!body || !mac || extra !== undefined) throw new ApiError("bad_request", msg.invalid);
  const want = Buffer.from(sign(key, body));
  const got = Buffer.from(mac);
  if (want.length !== got.length || !timingSafeEqual(want, got)) throw new ApiError("bad_request", msg.invalid);
  let payload: Payload;
  try {
    payload = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as Payload;
  } catch {
    throw new ApiError("bad_request", msg.invalid);
  }
  if (payload.p !== purpose || typeof payload.u !== "string" || typeof payload.v !== "number" || typeof payload.e !== "number") {
    throw new ApiError("bad_request", msg.invalid);
  }
  if (payload.e * 1000 <= now.getTime()) throw new ApiError("bad_request", msg.expired);
  const user = await users.getUser(payload.u);
  if (!user || user.sessionVersion !== payload.v) throw new ApiError("bad_request", msg.used);
  return user;
}
