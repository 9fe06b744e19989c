/** The route table's entries for the team routes (members, audit log, account, admin suppliers and users); ./routes.ts spreads them into ROUTES. */
import { z } from "zod";
import { ZAuditQuery } from "../audit/audit";
import { ZChangePasswordRequest } from "../teams/accounts";
import { ZCreateSupplierRequest, ZUpdateSupplierRequest, ZUpdateUserRequest } from "../teams/admin";
import { ZChangeMemberRequest, ZInviteRequest, ZMember } from "../teams/members";
import type { RouteSpec } from "./routes";
import { ZErrorBody } from "./schemas";

const id = { id: "The resource's id." };

const ZAuditEntry = z.object({
  id: z.string(),
  at: z.string(),
  action: z.string(),
  actorId: z.string().nullable(),
  actorEmail: z.string().nullable(),
  via: z.string().describe('"session" or "token:<id>".'),
  supplierId: z.string().nullable(),
  target: z.string().nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  detail: z.string().nullable(),
});
const ZSupplier = z.object({ id: z.string(), name: z.string(), createdAt: z.string(), disabledAt: z.string().nullable() });
const ZSupplierSummary = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string().nullable(),
  disabledAt: z.string().nullable(),
  members: z.number(),
  owners: z.number(),
});
const ZAdminUser = ZMember.extend({
  role: z.enum(["supplier", "admin"]),
  supplierId: z.string().nullable(),
  supplierName: z.string().nullable(),
  membership: ZMember.shape.membership.nullable(),
});
const ZInvitation = z.object({ member: ZMember, expiresAt: z.string() });
const lastOwner = { description: "The supplier's last owner cannot be removed or demoted.", schema: ZErrorBody };

export const TEAM_ROUTES = {
  "GET /api/v1/members": {
    tag: "Members",
    access: { roles: ["supplier"], tokens: false, membership: "viewer" },
    summary: "Your supplier's members and their roles",
    responses: { 200: { description: "Members, by email.", schema: z.object({ members: z.array(ZMember) }) } },
  },
  "POST /api/v1/members": {
    tag: "Members",
    access: { roles: ["supplier"], tokens: false, membership: "owner" },
    summary: "Owners: invite someone by email",
    description: "Mails a signed link that works once and expires (INVITATION_TTL_HOURS); accepting it sets a password. Inviting a pending address again sends a new link and voids the old one.",
    body: ZInviteRequest,
    responses: { 201: { description: "Invited.", schema: ZInvitation }, 409: { description: "The address already has an account.", schema: ZErrorBody } },
  },
  "PATCH /api/v1/members/{id}": {
    tag: "Members",
    access: { roles: ["supplier"], tokens: false, membership: "owner" },
    summary: "Owners: change a member's role",
    pathParams: id,
    body: ZChangeMemberRequest,
    responses: { 200: { description: "Changed.", schema: z.object({ member: ZMember }) }, 404: { description: "No such member.", schema: ZErrorBody }, 409: lastOwner },
  },
  "DELETE /api/v1/members/{id}": {
    tag: "Members",
    access: { roles: ["supplier"], tokens: false, membership: "owner" },
    summary: "Owners: remove a member (their sessions and API tokens end at once)",
    pathParams: id,
    responses: { 204: { description: "Removed." }, 404: { description: "No such member.", schema: ZErrorBody }, 409: lastOwner },
  },
  "GET /api/v1/audit": {
    tag: "Audit log",
    access: { roles: ["supplier", "admin"], tokens: true, membership: "owner", scope: "audit:read" },
    summary: "The audit log: owners their supplier's, admins every entry",
    description: "Newest first, filtered, paged with `cursor`; `format=csv` returns every matching entry as CSV.",
    query: ZAuditQuery,
    responses: { 200: { description: "One page.", schema: z.object({ items: z.array(ZAuditEntry), nextCursor: z.string().nullable() }) } },
  },
  "POST /api/v1/account/password": {
    tag: "Account",
    access: { roles: ["supplier", "admin"], tokens: false, membership: "viewer" },
    summary: "Change your password",
    description: "Ends every session of yours (this one too) and revokes the API tokens you made unless `keepTokens` is true.",
    body: ZChangePasswordRequest,
    responses: { 200: { description: "Changed.", schema: z.object({ tokensRevoked: z.number() }) } },
  },
  "GET /api/v1/admin/suppliers": {
    tag: "Admin",
    access: { roles: ["admin"], tokens: false },
    summary: "Admins: every supplier, with member and owner counts",
    responses: { 200: { description: "Suppliers, by id.", schema: z.object({ suppliers: z.array(ZSupplierSummary) }) } },
  },
  "POST /api/v1/admin/suppliers": {
    tag: "Admin",
    access: { roles: ["admin"], tokens: false },
    summary: "Admins: create a supplier, optionally inviting its first owner",
    body: ZCreateSupplierRequest,
    responses: { 201: { description: "Created.", schema: z.object({ supplier: ZSupplier, owner: ZMember.nullable() }) }, 409: { description: "The id is taken.", schema: ZErrorBody } },
  },
  "PATCH /api/v1/admin/suppliers/{id}": {
    tag: "Admin",
    access: { roles: ["admin"], tokens: false },
    summary: "Admins: rename, disable or enable a supplier",
    description: "Disabling refuses its users' sign-ins, sessions and API tokens at once.",
    pathParams: id,
    body: ZUpdateSupplierRequest,
    responses: { 200: { description: "Changed.", schema: z.object({ supplier: ZSupplier }) }, 404: { description: "No such supplier.", schema: ZErrorBody } },
  },
  "POST /api/v1/admin/suppliers/{id}/invitations": {
    tag: "Admin",
    access: { roles: ["admin"], tokens: false },
    summary: "Admins: invite someone into a supplier (e.g. its first owner)",
    pathParams: id,
    body: ZInviteRequest,
    responses: { 201: { description: "Invited.", schema: ZInvitation } },
  },
  "GET /api/v1/admin/users": {
    tag: "Admin",
    access: { roles: ["admin"], tokens: false },
    summary: "Admins: every user",
    responses: { 200: { description: "Users, by email.", schema: z.object({ users: z.array(ZAdminUser) }) } },
  },
  "PATCH /api/v1/admin/users/{id}": {
    tag: "Admin",
    access: { roles: ["admin"], tokens: false },
    summary: "Admins: disable a user (sessions and tokens end at once) or enable them",
    pathParams: id,
    body: ZUpdateUserRequest,
    responses: { 200: { description: "Changed.", schema: z.object({ user: ZAdminUser }) }, 404: { description: "No such user.", schema: ZErrorBody } },
  },
} satisfies Record<string, RouteSpec>;
