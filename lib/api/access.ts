/**
 * The supplier-membership and token-scope half of a route's access (issue
 * 15), as declared in the route table (./routes.ts) and enforced by the
 * wrapper (`route()` in ./handler.ts) after the role check.
 */
import type { Actor } from "../core/actor";
import { ApiError } from "../core/errors";
import type { Membership } from "../ports";
import type { Access } from "./routes";

const RANK: Record<Membership, number> = { viewer: 0, member: 1, owner: 2 };

/** True when `membership` is at least `least`; a missing membership counts as viewer, the least there is. */
export function hasMembership(membership: Membership | undefined, least: Membership): boolean {
  return RANK[membership ?? "viewer"] >= RANK[least];
}

/**
 * Refuses (403 naming what is missing) a supplier whose membership is below
 * the route's, or a token without the route's scope. Admins pass: `roles`
 * has already let them in or out.
 */
export function checkMembershipAndScope(access: Exclude<Access, { public: true }>, actor: Actor): void {
  if (actor.role === "admin") return;
  if (!hasMembership(actor.membership, access.membership ?? "owner")) {
    const needs = access.membership === "member" ? "a member or owner" : "an owner";
    throw new ApiError("forbidden", `This needs ${needs} of the supplier; your role is ${actor.membership ?? "viewer"}.`);
  }
  if (actor.tokenId !== undefined && (!access.scope || !actor.scopes?.includes(access.scope))) {
    throw new ApiError("forbidden", `This API token lacks the scope "${access.scope ?? "(none: sessions only)"}".`, { missingScope: access.scope ?? null });
  }
}
