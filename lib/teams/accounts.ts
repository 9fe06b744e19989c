/**
 * A person's own account: forgotten password (reset by email) and password
 * change. Both end every session and, unless kept on purpose, every API token
 * the person made (issue 12 finding 5): whoever knew the old password may
 * have made sessions or tokens with it.
 */
import { z } from "zod";
import { recordAudit, type RequestOrigin } from "../audit/audit";
import type { Actor } from "../core/actor";
import { ApiError } from "../core/errors";
import { zodDetails } from "../core/validation";
import type { Queue, UserRecord } from "../ports";
import { MAX_PASSWORD_LENGTH, hashPassword, verifyPassword } from "../users/passwords";
import { MIN_PASSWORD_LENGTH } from "../users/users";
import { renderResetEmail } from "./emails";
import { createLinkToken, verifyLinkToken } from "./links";
import type { TeamDeps } from "./members";

const ZPassword = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `Passwords need at least ${MIN_PASSWORD_LENGTH} characters.`)
  .max(MAX_PASSWORD_LENGTH, `Passwords can have at most ${MAX_PASSWORD_LENGTH} characters.`);

export const ZForgotPasswordRequest = z.object({ email: z.string().trim().toLowerCase().max(254) }).strict();
export const ZResetPasswordRequest = z.object({ token: z.string().min(1).max(1000), password: ZPassword, keepTokens: z.boolean().default(false) }).strict();
export const ZChangePasswordRequest = z.object({ currentPassword: z.string().max(MAX_PASSWORD_LENGTH), newPassword: ZPassword, keepTokens: z.boolean().default(false) }).strict();

/** The one answer to a reset request, whether or not the address has an account. */
export const RESET_REQUESTED_MESSAGE = "If an account exists for that address, we have sent it a link to choose a new password. The link expires soon and works once.";

function parse<T extends z.ZodType>(schema: T, input: unknown, what: string): z.output<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new ApiError("validation_failed", `The ${what} is not valid.`, zodDetails(parsed.error));
  return parsed.data;
}

/**
 * A reset request on the delivery lane (workers/delivery-dispatch.ts): the
 * worker looks the address up, so the request itself does the same work
 * whether or not the address has an account.
 */
export const ZPasswordResetMessage = z.object({
  type: z.literal("password.reset"),
  email: z.string().max(254),
  ip: z.string().max(64).nullable(),
  userAgent: z.string().max(256).nullable(),
});
export type TPasswordResetMessage = z.infer<typeof ZPasswordResetMessage>;

/** What sending a reset link needs (the worker's deps have it too). */
export type PasswordResetDeps = Pick<TeamDeps, "users" | "audit" | "mailer" | "now" | "log" | "config">;

/**
 * Answers a reset request the same way, after the same work, whether or not
 * the address has an account: one message on the delivery lane and nothing
 * else (looking the user up, signing a link and mailing it took measurably
 * longer for a known address, and that told who has an account).
 */
export async function requestPasswordReset(deps: { deliveryQueue: Queue }, input: unknown, origin?: RequestOrigin): Promise<{ message: string }> {
  const { email } = parse(ZForgotPasswordRequest, input, "request");
  const message: TPasswordResetMessage = { type: "password.reset", email, ip: origin?.ip ?? null, userAgent: origin?.userAgent ?? null };
  await deps.deliveryQueue.send(message);
  return { message: RESET_REQUESTED_MESSAGE };
}

/**
 * The delivery lane's handler of a reset request: mails a reset link when
 * the address has an active account, and nothing otherwise. Invited people
 * who never accepted get nothing (their invitation is their link).
 */
export async function sendPasswordReset(deps: PasswordResetDeps, msg: TPasswordResetMessage): Promise<void> {
  const email = msg.email.trim().toLowerCase();
  const origin: RequestOrigin = { ip: msg.ip, userAgent: msg.userAgent };
  const user = email ? await deps.users.getUserByEmail(email) : null;
  if (user && user.passwordHash && !user.disabledAt) {
    const now = deps.now();
    const ttl = deps.config.teams.passwordResetTtlSeconds;
    const token = createLinkToken(deps.config.teams.linkKey, "reset", user, ttl, now);
    const link = `${deps.config.settings.publicUrl}/reset-password/${encodeURIComponent(token)}`;
    const expiresAt = new Date(now.getTime() + ttl * 1000).toISOString();
    try {
      await deps.mailer.send(renderResetEmail({ to: user.email, link, expiresAt, key: `reset-${user.id}-${user.sessionVersion}-${now.getTime()}` }));
    } catch (err) {
      // Not the caller's business (and telling would reveal the account): log it.
      deps.log.error({ err, userId: user.id }, "password reset mail failed");
    }
    await recordAudit(deps, { action: "password.reset_requested", actor: { userId: user.id, email: user.email, supplierId: user.supplierId }, target: `user:${user.id}`, origin });
  }
}

/** Ends the user's sessions (version bump) and, unless kept, their API tokens. Returns how many tokens it revoked. */
async function endSessionsAndTokens(deps: TeamDeps, user: UserRecord, keepTokens: boolean): Promise<number> {
  await deps.users.bumpSessionVersion(user.id);
  if (keepTokens || !user.supplierId) return 0;
  return deps.tokens.revokeUserTokens(user.supplierId, user.id, deps.now().toISOString());
}

/** Sets a new password from a reset link (single use: the version bump voids the link). */
export async function resetPassword(deps: TeamDeps, input: unknown, origin?: RequestOrigin): Promise<{ email: string; tokensRevoked: number }> {
  const req = parse(ZResetPasswordRequest, input, "password reset");
  const user = await verifyLinkToken(deps.config.teams.linkKey, "reset", req.token, deps.users, deps.now());
  if (user.disabledAt) throw new ApiError("forbidden", "This account has been disabled.");
  // Set the hash before ending the sessions: a reader between the two sees the new password and old sessions
  // for an instant, never old password and no sessions. The bump makes the link single use; of two concurrent
  // uses, only the one whose bump lands on version + 1 counts.
  await deps.users.updateUser({ ...user, passwordHash: await hashPassword(req.password) });
  if ((await deps.users.bumpSessionVersion(user.id)) !== user.sessionVersion + 1) throw new ApiError("bad_request", "This password reset link has already been used. Ask for a new one.");
  const tokensRevoked = req.keepTokens || !user.supplierId ? 0 : await deps.tokens.revokeUserTokens(user.supplierId, user.id, deps.now().toISOString());
  await recordAudit(deps, {
    action: "password.reset",
    actor: { userId: user.id, email: user.email, supplierId: user.supplierId },
    target: `user:${user.id}`,
    detail: `sessions ended; ${req.keepTokens ? "API tokens kept" : `${tokensRevoked} API token(s) revoked`}`,
    origin,
  });
  return { email: user.email, tokensRevoked };
}

/** Changes the signed-in person's password: every session (this one too) and, unless kept, their tokens end. */
export async function changePassword(deps: TeamDeps, actor: Actor, input: unknown, origin?: RequestOrigin): Promise<{ tokensRevoked: number }> {
  const req = parse(ZChangePasswordRequest, input, "password change");
  const user = await deps.users.getUser(actor.userId);
  if (!user) throw new ApiError("unauthorized", "Sign in again.");
  if (!user.passwordHash || !(await verifyPassword(req.currentPassword, user.passwordHash))) {
    throw new ApiError("validation_failed", "The current password is not right.", [{ path: "currentPassword", message: "Not your current password." }]);
  }
  await deps.users.updateUser({ ...user, passwordHash: await hashPassword(req.newPassword) });
  const tokensRevoked = await endSessionsAndTokens(deps, user, req.keepTokens);
  await recordAudit(deps, {
    action: "password.changed",
    actor,
    target: `user:${user.id}`,
    detail: `sessions ended; ${req.keepTokens ? "API tokens kept" : `${tokensRevoked} API token(s) revoked`}`,
    origin,
  });
  return { tokensRevoked };
}
