/**
 * Who may call each /api/v1 route, declared once: the least supplier
 * membership it needs (owner > member > viewer; admins pass, as the wrapper
 * lets them in by role) and the scope an API token needs for it (absent: the
 * route takes no tokens). The route wrapper (handler.ts) looks each request
 * up here; the route matrix test checks every role against every entry, and
 * that every route file has one.
 *
 * A route missing from the table fails closed: owners only, no tokens.
 */
import type { Actor } from "../core/actor";
import { ApiError } from "../core/errors";
import type { Membership } from "../ports";
import type { TokenScope } from "../tokens/scopes";

export interface RouteAccess {
  /** Admins only (the wrapper, withAdmin, checks the same). */
  adminOnly?: true;
  /** The least membership a supplier user needs. */
  membership: Membership;
  /** The scope an API token needs; undefined when tokens are not accepted. */
  scope?: TokenScope;
}

const ADMIN: RouteAccess = { adminOnly: true, membership: "owner" };

/** `METHOD /path` with `{param}` segments, as in the OpenAPI document. */
export const ROUTE_ACCESS: Record<string, RouteAccess> = {
  "GET /api/v1/datasets": { membership: "viewer", scope: "exports:read" },
  "GET /api/v1/exports": { membership: "viewer", scope: "exports:read" },
  "POST /api/v1/exports": { membership: "member", scope: "exports:write" },
  "GET /api/v1/exports/{id}": { membership: "viewer", scope: "exports:read" },
  "GET /api/v1/exports/{id}/download": { membership: "viewer", scope: "exports:read" },
  "POST /api/v1/exports/{id}/cancel": { membership: "member", scope: "exports:write" },
  "GET /api/v1/webhooks": { membership: "owner", scope: "webhooks:manage" },
  "POST /api/v1/webhooks": { membership: "owner", scope: "webhooks:manage" },
  "DELETE /api/v1/webhooks/{id}": { membership: "owner", scope: "webhooks:manage" },
  "GET /api/v1/webhooks/{id}/deliveries": { membership: "owner", scope: "webhooks:manage" },
  "GET /api/v1/tokens": { membership: "owner" },
  "POST /api/v1/tokens": { membership: "owner" },
  "DELETE /api/v1/tokens/{id}": { membership: "owner" },
  "GET /api/v1/members": { membership: "viewer" },
  "POST /api/v1/members": { membership: "owner" },
  "PATCH /api/v1/members/{id}": { membership: "owner" },
  "DELETE /api/v1/members/{id}": { membership: "owner" },
  "GET /api/v1/audit": { membership: "owner", scope: "audit:read" },
  "POST /api/v1/account/password": { membership: "viewer" },
  "POST /api/v1/exports/{id}/retry": ADMIN,
  "GET /api/v1/admin/exports": ADMIN,
  "GET /api/v1/admin/stats": ADMIN,
  "GET /api/v1/admin/suppliers": ADMIN,
  "POST /api/v1/admin/suppliers": ADMIN,
  "PATCH /api/v1/admin/suppliers/{id}": ADMIN,
  "POST /api/v1/admin/suppliers/{id}/invitations": ADMIN,
  "GET /api/v1/admin/users": ADMIN,
  "PATCH /api/v1/admin/users/{id}": ADMIN,
};

const RANK: Record<Membership, number> = { viewer: 0, member: 1, owner: 2 };

const FAIL_CLOSED: RouteAccess = { membership: "owner" };

/** The table's entry for a request: its method and path matched against the `{param}` patterns. */
export function accessFor(method: string, pathname: string): RouteAccess {
  const parts = pathname.replace(/\/+$/, "").split("/");
  for (const [key, access] of Object.entries(ROUTE_ACCESS)) {
    const [m, pattern] = key.split(" ") as [string, string];
    if (m !== method && !(method === "HEAD" && m === "GET")) continue;
    const want = pattern.split("/");
    if (want.length === parts.length && want.every((w, i) => (w.startsWith("{") ? parts[i] !== "" : w === parts[i]))) return access;
  }
  return FAIL_CLOSED;
}

/** True when `membership` is at least `least`. */
export function hasMembership(membership: Membership | undefined, least: Membership): boolean {
  return RANK[membership ?? "viewer"] >= RANK[least];
}

/**
 * Refuses (403 naming what is missing) a supplier whose membership is too
 * low, or a token without the route's scope. Admins pass: the wrapper has
 * already let them in by role.
 */
export function checkRouteAccess(access: RouteAccess, actor: Actor): void {
  if (actor.role === "admin") return;
  if (access.adminOnly) throw new ApiError("forbidden", "Only admins can do this.");
  if (!hasMembership(actor.membership, access.membership)) {
    const needs = access.membership === "member" ? "a member or owner" : "an owner";
    throw new ApiError("forbidden", `This needs ${needs} of the supplier; your role is ${actor.membership ?? "viewer"}.`);
  }
  if (actor.tokenId !== undefined) {
    if (!access.scope) throw new ApiError("forbidden", "This route does not accept API tokens.");
    if (!actor.scopes?.includes(access.scope)) {
      throw new ApiError("forbidden", `This API token lacks the scope "${access.scope}".`, { missingScope: access.scope });
    }
  }
}
