/**
 * A supplier's members: list, invite by email, change roles, remove; and
 * accepting an invitation. Owners manage members (the route table,
 * lib/api/access.ts, lets only them in); admins may act on any supplier.
 *
 * The last owner of a supplier can be neither removed nor demoted, so every
 * supplier keeps someone who can manage it. The store checks and writes in
 * one step (`UserStore.changeMembership`): two owners demoting or removing
 * each other at the same instant cannot both succeed.
 */
import { z } from "zod";
import { recordAudit, type RequestOrigin } from "../audit/audit";
import type { Actor } from "../core/actor";
import { ApiError } from "../core/errors";
import { newId } from "../core/ids";
import { zodDetails } from "../core/validation";
import { MEMBERSHIPS, type ApiTokenStore, type AuditStore, type Mailer, type Membership, type MembershipChange, type SupplierStore, type UserRecord, type UserStore } from "../ports";
import { MAX_PASSWORD_LENGTH, hashPassword } from "../users/passwords";
import { MIN_PASSWORD_LENGTH } from "../users/users";
import { renderInvitationEmail } from "./emails";
import { createLinkToken, verifyLinkToken } from "./links";

export interface TeamDeps {
  users: UserStore;
  suppliers: SupplierStore;
  tokens: ApiTokenStore;
  audit: AuditStore;
  mailer: Mailer;
  now: () => Date;
  log: { error(obj: object, msg: string): void };
  config: {
    settings: { publicUrl: string };
    teams: { invitationTtlSeconds: number; passwordResetTtlSeconds: number; linkKey: string };
  };
}

/** A member as the API shows it: never the hash or the session version. */
export const ZMember = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  membership: z.enum(MEMBERSHIPS),
  /** "invited" until the invitation is accepted. */
  status: z.enum(["active", "invited", "disabled"]),
  createdAt: z.string(),
});
export type TMember = z.infer<typeof ZMember>;

export function toMember(u: UserRecord): TMember {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    membership: u.membership ?? "viewer",
    status: u.disabledAt ? "disabled" : u.passwordHash ? "active" : "invited",
    createdAt: u.createdAt,
  };
}

export const ZInviteRequest = z
  .object({
    email: z.string().trim().toLowerCase().pipe(z.email("Enter a valid email address.").max(254)),
    membership: z.enum(MEMBERSHIPS),
  })
  .strict();

export const ZChangeMemberRequest = z.object({ membership: z.enum(MEMBERSHIPS) }).strict();

export const ZAcceptInvitationRequest = z
  .object({
    token: z.string().min(1).max(1000),
    name: z.string().trim().min(1, "Enter your name.").max(100),
    password: z
      .string()
      .min(MIN_PASSWORD_LENGTH, `Passwords need at least ${MIN_PASSWORD_LENGTH} characters.`)
      .max(MAX_PASSWORD_LENGTH, `Passwords can have at most ${MAX_PASSWORD_LENGTH} characters.`),
  })
  .strict();

function parse<T extends z.ZodType>(schema: T, input: unknown, what: string): z.output<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new ApiError("validation_failed", `The ${what} is not valid.`, zodDetails(parsed.error));
  return parsed.data;
}

/** The supplier an actor manages: their own; an admin names one. */
function supplierFor(actor: Actor, supplierId?: string): string {
  if (actor.role === "admin") {
    if (!supplierId) throw new ApiError("bad_request", "Admins name the supplier (supplierId).");
    return supplierId;
  }
  if (!actor.supplierId) throw new ApiError("forbidden", "Only supplier accounts have members.");
  return actor.supplierId;
}

async function membersOf(deps: TeamDeps, supplierId: string): Promise<UserRecord[]> {
  return (await deps.users.listUsers()).filter((u) => u.role === "supplier" && u.supplierId === supplierId);
}

/** The supplier's members, by email. */
export async function listMembers(deps: TeamDeps, actor: Actor, supplierId?: string): Promise<TMember[]> {
  return (await membersOf(deps, supplierFor(actor, supplierId))).map(toMember);
}

async function memberOrThrow(deps: TeamDeps, supplierId: string, userId: string): Promise<UserRecord> {
  const user = /^usr_[0-9a-z]{22}$/.test(userId) ? await deps.users.getUser(userId) : null;
  // Another supplier's user is a 404, as another supplier's export is.
  if (!user || user.role !== "supplier" || user.supplierId !== supplierId) throw new ApiError("not_found", "Member not found.");
  return user;
}

function changedOrThrow(change: MembershipChange): void {
  if (change === "last_owner") throw new ApiError("conflict", "This is the supplier's last owner: make someone else an owner first.");
  if (change === "not_found") throw new ApiError("not_found", "Member not found.");
}

/**
 * Invites `email` into the supplier with a role: creates the account (no
 * password until accepted) and mails a signed link. Inviting a pending
 * address again sends a fresh link and voids the old one; an address with an
 * account already is a 409.
 */
export async function inviteMember(deps: TeamDeps, actor: Actor, input: unknown, origin?: RequestOrigin, supplierId?: string): Promise<{ member: TMember; expiresAt: string }> {
  const req = parse(ZInviteRequest, input, "invitation");
  const sid = supplierFor(actor, supplierId);
  const supplier = await deps.suppliers.getSupplier(sid);
  const supplierName = supplier?.name ?? (await membersOf(deps, sid))[0]?.supplierName ?? sid;
  if (supplier?.disabledAt) throw new ApiError("conflict", `${supplierName} is disabled; enable it before inviting anyone.`);
  const now = deps.now();

  let user = await deps.users.getUserByEmail(req.email);
  if (user && (user.passwordHash || user.supplierId !== sid)) throw new ApiError("conflict", `${req.email} already has an account on this portal.`);
  if (user) {
    // A pending invitation again: new role, new link; the bump voids the old link.
    await deps.users.updateUser({ ...user, membership: req.membership });
    await deps.users.bumpSessionVersion(user.id);
    user = (await deps.users.getUser(user.id))!;
  } else {
    user = {
      id: newId("usr", now.getTime()),
      email: req.email,
      name: req.email.split("@")[0]!,
      role: "supplier",
      supplierId: sid,
      supplierName,
      passwordHash: "",
      createdAt: now.toISOString(),
      membership: req.membership,
      sessionVersion: 1,
      disabledAt: null,
    };
    await deps.users.createUser(user);
  }
  const ttl = deps.config.teams.invitationTtlSeconds;
  const token = createLinkToken(deps.config.teams.linkKey, "invite", user, ttl, now);
  const expiresAt = new Date(now.getTime() + ttl * 1000).toISOString();
  const link = `${deps.config.settings.publicUrl}/invite/${encodeURIComponent(token)}`;
  await deps.mailer.send(
    renderInvitationEmail({ to: user.email, supplierName, invitedBy: actor.email, role: req.membership, link, expiresAt, key: `invite-${user.id}-${user.sessionVersion}` }),
  );
  await recordAudit(deps, { action: "member.invited", actor, supplierId: sid, target: `user:${user.id}`, detail: `${user.email} as ${req.membership}`, origin });
  return { member: toMember(user), expiresAt };
}

/** Changes a member's role; the last active owner cannot be demoted. */
export async function changeMemberRole(deps: TeamDeps, actor: Actor, userId: string, input: unknown, origin?: RequestOrigin, supplierId?: string): Promise<TMember> {
  const { membership } = parse(ZChangeMemberRequest, input, "role change");
  const sid = supplierFor(actor, supplierId);
  const user = await memberOrThrow(deps, sid, userId);
  if (user.membership === membership) return toMember(user);
  changedOrThrow(await deps.users.changeMembership(user.id, membership));
  const updated = { ...user, membership };
  await recordAudit(deps, { action: "member.role_changed", actor, supplierId: sid, target: `user:${user.id}`, detail: `${user.email}: ${user.membership} -> ${membership}`, origin });
  return toMember(updated);
}

/** Removes a member: their account, sessions and API tokens end at once. The last active owner cannot be removed. */
export async function removeMember(deps: TeamDeps, actor: Actor, userId: string, origin?: RequestOrigin, supplierId?: string): Promise<void> {
  const sid = supplierFor(actor, supplierId);
  const user = await memberOrThrow(deps, sid, userId);
  changedOrThrow(await deps.users.changeMembership(user.id, null));
  // Revoke the tokens as well as deleting the user: a token already refuses a missing user, but a
  // later account with the same email must not inherit them.
  await deps.tokens.revokeUserTokens(sid, user.id, deps.now().toISOString());
  await recordAudit(deps, { action: "member.removed", actor, supplierId: sid, target: `user:${user.id}`, detail: user.email, origin });
}

/** What the accept page shows before the person chooses a password. */
export async function describeInvitation(deps: TeamDeps, token: string): Promise<{ email: string; supplierName: string; membership: Membership }> {
  const user = await verifyLinkToken(deps.config.teams.linkKey, "invite", token, deps.users, deps.now());
  if (user.passwordHash) throw new ApiError("bad_request", "This invitation has already been used. Sign in instead.");
  return { email: user.email, supplierName: user.supplierName ?? user.supplierId ?? "", membership: user.membership ?? "viewer" };
}

/** Accepts an invitation: sets name and password; the link stops working (single use). */
export async function acceptInvitation(deps: TeamDeps, input: unknown, origin?: RequestOrigin): Promise<{ email: string }> {
  const req = parse(ZAcceptInvitationRequest, input, "invitation");
  const user = await verifyLinkToken(deps.config.teams.linkKey, "invite", req.token, deps.users, deps.now());
  if (user.passwordHash) throw new ApiError("bad_request", "This invitation has already been used. Sign in instead.");
  // The bump is what uses the link up. Bumps are atomic and return distinct versions, so of two
  // concurrent accepts of one link exactly one gets version + 1; the other is refused here.
  if ((await deps.users.bumpSessionVersion(user.id)) !== user.sessionVersion + 1) {
    throw new ApiError("bad_request", "This invitation has already been used. Sign in instead.");
  }
  await deps.users.updateUser({ ...user, name: req.name, passwordHash: await hashPassword(req.password) });
  await recordAudit(deps, { action: "member.joined", actor: { userId: user.id, email: user.email, supplierId: user.supplierId }, target: `user:${user.id}`, detail: `as ${user.membership}`, origin });
  return { email: user.email };
}
