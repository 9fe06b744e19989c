/**
 * Admins' management of suppliers and users: create and rename suppliers,
 * invite a supplier's first owner, disable or enable a supplier or a user.
 * Disabling ends the sessions and tokens at once: a disabled user's session
 * version is bumped, and every session read and token check refuses a
 * disabled user or supplier (lib/auth.ts, lib/tokens/api-tokens.ts).
 */
import { z } from "zod";
import { recordAudit, type RequestOrigin } from "../audit/audit";
import type { Actor } from "../core/actor";
import { ApiError } from "../core/errors";
import { zodDetails } from "../core/validation";
import type { SupplierRecord, UserRecord } from "../ports";
import { inviteMember, toMember, type TeamDeps, type TMember } from "./members";

export const ZCreateSupplierRequest = z
  .object({
    id: z.string().regex(/^sup_[a-z0-9_]{1,36}$/, "Supplier ids look like sup_rose: sup_ and 1-36 lower-case letters, digits or _."),
    name: z.string().trim().min(1, "Give the supplier a name.").max(100),
    /** Invites this address as the supplier's first owner. */
    ownerEmail: z.string().trim().toLowerCase().pipe(z.email("Enter a valid email address.").max(254)).optional(),
  })
  .strict();

export const ZUpdateSupplierRequest = z
  .object({ name: z.string().trim().min(1).max(100).optional(), disabled: z.boolean().optional() })
  .strict()
  .refine((v) => v.name !== undefined || v.disabled !== undefined, "Send name, disabled or both.");

export const ZUpdateUserRequest = z.object({ disabled: z.boolean() }).strict();

export interface TSupplierSummary {
  id: string;
  name: string;
  createdAt: string | null;
  disabledAt: string | null;
  members: number;
  owners: number;
}

export interface TAdminUser extends Omit<TMember, "membership"> {
  role: UserRecord["role"];
  supplierId: string | null;
  supplierName: string | null;
  membership: TMember["membership"] | null;
}

function parse<T extends z.ZodType>(schema: T, input: unknown, what: string): z.output<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new ApiError("validation_failed", `The ${what} is not valid.`, zodDetails(parsed.error));
  return parsed.data;
}

function requireAdmin(actor: Actor): void {
  if (actor.role !== "admin") throw new ApiError("forbidden", "Only admins can do this.");
}

/**
 * Every supplier: the stored ones, and those that exist only through their
 * users (made with `npm run users` before suppliers were stored).
 */
export async function listSuppliers(deps: TeamDeps, actor: Actor): Promise<TSupplierSummary[]> {
  requireAdmin(actor);
  const [stored, users] = await Promise.all([deps.suppliers.listSuppliers(), deps.users.listUsers()]);
  const byId = new Map<string, TSupplierSummary>();
  for (const s of stored) byId.set(s.id, { id: s.id, name: s.name, createdAt: s.createdAt, disabledAt: s.disabledAt, members: 0, owners: 0 });
  for (const u of users) {
    if (u.role !== "supplier" || !u.supplierId) continue;
    const s = byId.get(u.supplierId) ?? { id: u.supplierId, name: u.supplierName ?? u.supplierId, createdAt: null, disabledAt: null, members: 0, owners: 0 };
    s.members++;
    if (u.membership === "owner" && !u.disabledAt) s.owners++;
    byId.set(u.supplierId, s);
  }
  return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
}

export async function createSupplier(deps: TeamDeps, actor: Actor, input: unknown, origin?: RequestOrigin): Promise<{ supplier: SupplierRecord; owner: TMember | null }> {
  requireAdmin(actor);
  const req = parse(ZCreateSupplierRequest, input, "supplier");
  if ((await deps.users.listUsers()).some((u) => u.supplierId === req.id)) throw new ApiError("conflict", `A supplier with the id ${req.id} already exists.`);
  const supplier: SupplierRecord = { id: req.id, name: req.name, createdAt: deps.now().toISOString(), disabledAt: null };
  await deps.suppliers.createSupplier(supplier);
  await recordAudit(deps, { action: "supplier.created", actor, supplierId: supplier.id, target: `supplier:${supplier.id}`, detail: supplier.name, origin });
  const owner = req.ownerEmail ? (await inviteMember(deps, actor, { email: req.ownerEmail, membership: "owner" }, origin, supplier.id)).member : null;
  return { supplier, owner };
}

/** The stored record of a supplier, made from its users' data for one that predates stored suppliers. */
async function supplierOrThrow(deps: TeamDeps, id: string): Promise<{ record: SupplierRecord; stored: boolean }> {
  const stored = await deps.suppliers.getSupplier(id);
  if (stored) return { record: stored, stored: true };
  const member = (await deps.users.listUsers()).find((u) => u.supplierId === id);
  if (!member) throw new ApiError("not_found", "Supplier not found.");
  return { record: { id, name: member.supplierName ?? id, createdAt: member.createdAt, disabledAt: null }, stored: false };
}

export async function updateSupplier(deps: TeamDeps, actor: Actor, id: string, input: unknown, origin?: RequestOrigin): Promise<SupplierRecord> {
  requireAdmin(actor);
  const req = parse(ZUpdateSupplierRequest, input, "supplier change");
  const { record, stored } = await supplierOrThrow(deps, id);
  const next: SupplierRecord = {
    ...record,
    name: req.name ?? record.name,
    disabledAt: req.disabled === undefined ? record.disabledAt : req.disabled ? (record.disabledAt ?? deps.now().toISOString()) : null,
  };
  if (stored) await deps.suppliers.updateSupplier(next);
  else await deps.suppliers.createSupplier(next);
  if (next.name !== record.name) {
    // Users carry the supplier's name for the header and emails: keep it in step.
    for (const u of await deps.users.listUsers()) if (u.supplierId === id) await deps.users.updateUser({ ...u, supplierName: next.name });
    await recordAudit(deps, { action: "supplier.renamed", actor, supplierId: id, target: `supplier:${id}`, detail: `${record.name} -> ${next.name}`, origin });
  }
  if (Boolean(next.disabledAt) !== Boolean(record.disabledAt)) {
    await recordAudit(deps, { action: next.disabledAt ? "supplier.disabled" : "supplier.enabled", actor, supplierId: id, target: `supplier:${id}`, origin });
  }
  return next;
}

function toAdminUser(u: UserRecord): TAdminUser {
  const m = toMember(u);
  return { ...m, role: u.role, supplierId: u.supplierId, supplierName: u.supplierName, membership: u.role === "supplier" ? m.membership : null };
}

export async function listAllUsers(deps: TeamDeps, actor: Actor): Promise<TAdminUser[]> {
  requireAdmin(actor);
  return (await deps.users.listUsers()).map(toAdminUser);
}

/** Disables (sessions and tokens end at once) or enables a user. Admins cannot disable themselves. */
export async function setUserDisabled(deps: TeamDeps, actor: Actor, userId: string, input: unknown, origin?: RequestOrigin): Promise<TAdminUser> {
  requireAdmin(actor);
  const { disabled } = parse(ZUpdateUserRequest, input, "user change");
  const user = /^usr_[0-9a-z]{22}$/.test(userId) ? await deps.users.getUser(userId) : null;
  if (!user) throw new ApiError("not_found", "User not found.");
  if (disabled && user.id === actor.userId) throw new ApiError("conflict", "You cannot disable your own account.");
  if (Boolean(user.disabledAt) === disabled) return toAdminUser(user);
  const next = { ...user, disabledAt: disabled ? deps.now().toISOString() : null };
  await deps.users.updateUser(next);
  if (disabled) await deps.users.bumpSessionVersion(user.id);
  await recordAudit(deps, { action: disabled ? "user.disabled" : "user.enabled", actor, supplierId: user.supplierId, target: `user:${user.id}`, detail: user.email, origin });
  return toAdminUser(next);
}
