/** The OpenAPI entries of the team routes (members, audit log, account, admin suppliers and users); `openapi.ts` lists them with the rest. */
import { z } from "zod";
import { ZAuditQuery } from "../audit/audit";
import { ZChangePasswordRequest } from "../teams/accounts";
import { ZCreateSupplierRequest, ZUpdateSupplierRequest, ZUpdateUserRequest } from "../teams/admin";
import { ZChangeMemberRequest, ZInviteRequest, ZMember } from "../teams/members";
import type { RouteSpec } from "./openapi";
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

export const TEAM_ROUTES: readonly RouteSpec[] = [
  {
    method: "get",
    path: "/api/v1/members",
    tag: "Members",
    access: "session",
    summary: "Your supplier's members and their roles",
    responses: { 200: { description: "Members, by email.", schema: z.object({ members: z.array(ZMember) }) } },
  },
  {
    method: "post",
    path: "/api/v1/members",
    tag: "Members",
    access: "session",
    summary: "Owners: invite someone by email",
    description: "Mails a signed link that works once and expires (INVITATION_TTL_HOURS); accepting it sets a password. Inviting a pending address again sends a new link and voids the old one.",
    body: ZInviteRequest,
    responses: { 201: { description: "Invited.", schema: ZInvitation }, 409: { description: "The address already has an account.", schema: ZErrorBody } },
  },
  {
    method: "patch",
    path: "/api/v1/members/{id}",
    tag: "Members",
    access: "session",
    summary: "Owners: change a member's role",
    pathParams: id,
    body: ZChangeMemberRequest,
    responses: { 200: { description: "Changed.", schema: z.object({ member: ZMember }) }, 404: { description: "No such member.", schema: ZErrorBody }, 409: lastOwner },
  },
  {
    method: "delete",
    path: "/api/v1/members/{id}",
    tag: "Members",
    access: "session",
    summary: "Owners: remove a member (their sessions and API tokens end at once)",
    pathParams: id,
    responses: { 204: { description: "Removed." }, 404: { description: "No such member.", schema: ZErrorBody }, 409: lastOwner },
  },
  {
    method: "get",
    path: "/api/v1/audit",
    tag: "Audit log",
    access: "supplier",
    summary: "The audit log: owners their supplier's, admins every entry",
    description: "Newest first, filtered, paged with `cursor`; `format=csv` returns every matching entry as CSV.",
    query: ZAuditQuery,
    responses: { 200: { description: "One page.", schema: z.object({ items: z.array(ZAuditEntry), nextCursor: z.string().nullable() }) } },
  },
  {
    method: "post",
    path: "/api/v1/account/password",
    tag: "Account",
    access: "session",
    summary: "Change your password",
    description: "Ends every session of yours (this one too) and revokes the API tokens you made unless `keepTokens` is true.",
    body: ZChangePasswordRequest,
    responses: { 200: { description: "Changed.", schema: z.object({ tokensRevoked: z.number() }) } },
  },
  {
    method: "get",
    path: "/api/v1/admin/suppliers",
    tag: "Admin",
    access: "admin",
    summary: "Admins: every supplier, with member and owner counts",
    responses: { 200: { description: "Suppliers, by id.", schema: z.object({ suppliers: z.array(ZSupplierSummary) }) } },
  },
  {
    method: "post",
    path: "/api/v1/admin/suppliers",
    tag: "Admin",
    access: "admin",
    summary: "Admins: create a supplier, optionally inviting its first owner",
    body: ZCreateSupplierRequest,
    responses: { 201: { description: "Created.", schema: z.object({ supplier: ZSupplier, owner: ZMember.nullable() }) }, 409: { description: "The id is taken.", schema: ZErrorBody } },
  },
  {
    method: "patch",
    path: "/api/v1/admin/suppliers/{id}",
    tag: "Admin",
    access: "admin",
    summary: "Admins: rename, disable or enable a supplier",
    description: "Disabling refuses its users' sign-ins, sessions and API tokens at once.",
    pathParams: id,
    body: ZUpdateSupplierRequest,
    responses: { 200: { description: "Changed.", schema: z.object({ supplier: ZSupplier }) }, 404: { description: "No such supplier.", schema: ZErrorBody } },
  },
  {
    method: "post",
    path: "/api/v1/admin/suppliers/{id}/invitations",
    tag: "Admin",
    access: "admin",
    summary: "Admins: invite someone into a supplier (e.g. its first owner)",
    pathParams: id,
    body: ZInviteRequest,
    responses: { 201: { description: "Invited.", schema: ZInvitation } },
  },
  {
    method: "get",
    path: "/api/v1/admin/users",
    tag: "Admin",
    access: "admin",
    summary: "Admins: every user",
    responses: { 200: { description: "Users, by email.", schema: z.object({ users: z.array(ZAdminUser) }) } },
  },
  {
    method: "patch",
    path: "/api/v1/admin/users/{id}",
    tag: "Admin",
    access: "admin",
    summary: "Admins: disable a user (sessions and tokens end at once) or enable them",
    pathParams: id,
    body: ZUpdateUserRequest,
    responses: { 200: { description: "Changed.", schema: z.object({ user: ZAdminUser }) }, 404: { description: "No such user.", schema: ZErrorBody } },
  },
];
