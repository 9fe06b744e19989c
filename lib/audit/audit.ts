/**
 * Recording to the audit log, and reading it back for owners and admins.
 * Storage is the `AuditStore` port (append-only in both backends).
 *
 * Recording is best effort by design: the thing audited has already happened
 * when it is recorded, so a failed append is logged loudly rather than turned
 * into an error the caller would read as "it did not happen".
 */
import { z } from "zod";
import type { Actor } from "../core/actor";
import { ApiError } from "../core/errors";
import { newId } from "../core/ids";
import { zodDetails } from "../core/validation";
import type { AuditEntry, AuditStore } from "../ports";

/** Every action the portal records. */
export const AUDIT_ACTIONS = [
  "signin",
  "signin.failed",
  "signout",
  "password.changed",
  "password.reset_requested",
  "password.reset",
  "export.requested",
  "export.cancelled",
  "export.downloaded",
  "token.created",
  "token.revoked",
  "webhook.created",
  "webhook.deleted",
  "member.invited",
  "member.joined",
  "member.role_changed",
  "member.removed",
  "user.disabled",
  "user.enabled",
  "supplier.created",
  "supplier.renamed",
  "supplier.disabled",
  "supplier.enabled",
  "schedule.changed",
  "destination.changed",
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditDeps {
  audit: AuditStore;
  now: () => Date;
  log: { error(obj: object, msg: string): void };
}

/** Where a request came from, as the audit log keeps it. */
export interface RequestOrigin {
  ip: string | null;
  userAgent: string | null;
}

/** The client address (first X-Forwarded-For hop, else X-Real-IP) and user agent of a request. */
export function originOf(headers: Headers | Record<string, string | string[] | undefined> | undefined): RequestOrigin {
  const get = (name: string): string | undefined => {
    if (!headers) return undefined;
    if (headers instanceof Headers) return headers.get(name) ?? undefined;
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const ip = get("x-forwarded-for")?.split(",")[0]?.trim() || get("x-real-ip")?.trim() || null;
  const userAgent = get("user-agent")?.trim() || null;
  return { ip: ip ? ip.slice(0, 64) : null, userAgent: userAgent ? userAgent.slice(0, 256) : null };
}

export interface AuditEvent {
  action: AuditAction;
  /** Who acted; for a failed sign-in pass `{ email }` with the address tried. */
  actor: Actor | { userId?: string | null; email: string | null; supplierId?: string | null };
  /** The supplier the entry belongs to; defaults to the actor's. */
  supplierId?: string | null;
  target?: string | null;
  detail?: string | null;
  origin?: RequestOrigin;
}

/** Appends one entry; never throws (see the module comment). */
export async function recordAudit(deps: AuditDeps, event: AuditEvent): Promise<void> {
  const at = deps.now();
  const actor = event.actor;
  const isActor = "role" in actor;
  const entry: AuditEntry = {
    id: newId("aud", at.getTime()),
    at: at.toISOString(),
    action: event.action,
    actorId: isActor ? actor.userId : (actor.userId ?? null),
    actorEmail: actor.email ?? null,
    via: isActor && actor.tokenId ? `token:${actor.tokenId}` : "session",
    supplierId: event.supplierId !== undefined ? event.supplierId : (actor.supplierId ?? null),
    target: event.target ?? null,
    ip: event.origin?.ip ?? null,
    userAgent: event.origin?.userAgent ?? null,
    detail: event.detail ? event.detail.slice(0, 500) : null,
  };
  try {
    await deps.audit.append(entry);
  } catch (err) {
    deps.log.error({ err, entry }, "audit append failed");
  }
}

export const ZAuditQuery = z
  .object({
    action: z.enum(AUDIT_ACTIONS).optional(),
    actor: z.string().trim().toLowerCase().max(254).optional(),
    /** Admins only: one supplier's entries. */
    supplierId: z.string().regex(/^[a-z0-9_]{1,40}$/).optional(),
    from: z.iso.date().optional(),
    to: z.iso.date().optional(),
    cursor: z.string().max(500).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    format: z.enum(["json", "csv"]).default("json"),
  })
  .strict();

/**
 * One page of the audit log as the caller may see it: an owner their
 * supplier's entries, an admin every entry (or one supplier's).
 */
export async function listAudit(deps: AuditDeps, actor: Actor, query: Record<string, string>): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
  const parsed = ZAuditQuery.safeParse(query);
  if (!parsed.success) throw new ApiError("validation_failed", "The audit log filter is not valid.", zodDetails(parsed.error));
  const q = parsed.data;
  let supplierId: string | undefined;
  if (actor.role === "admin") supplierId = q.supplierId;
  else {
    if (q.supplierId && q.supplierId !== actor.supplierId) throw new ApiError("forbidden", "You can see your own supplier's audit log only.");
    supplierId = actor.supplierId ?? undefined;
  }
  // `to` is a day: include all of it.
  const to = q.to ? new Date(Date.parse(`${q.to}T00:00:00.000Z`) + 86_400_000).toISOString() : undefined;
  return deps.audit.list({
    supplierId,
    action: q.action,
    actorEmail: q.actor || undefined,
    from: q.from ? `${q.from}T00:00:00.000Z` : undefined,
    to,
    cursor: q.cursor,
    limit: q.limit,
  });
}

const CSV_COLUMNS = ["at", "action", "actorEmail", "actorId", "via", "supplierId", "target", "ip", "userAgent", "detail", "id"] as const;

/** RFC 4180 quoting, and a leading quote for cells a spreadsheet would run as a formula. */
function csvCell(value: string | null): string {
  let v = value ?? "";
  if (/^[=+\-@\t\r]/.test(v)) v = `'${v}`;
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** Entries as CSV with a header row. */
export function auditToCsv(entries: AuditEntry[]): string {
  const lines = [CSV_COLUMNS.join(",")];
  for (const e of entries) lines.push(CSV_COLUMNS.map((c) => csvCell(e[c])).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

/** Every entry the query matches (following cursors), for the CSV export; at most `max` entries. */
export async function collectAudit(deps: AuditDeps, actor: Actor, query: Record<string, string>, max = 50_000): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  let cursor: string | undefined = query.cursor;
  do {
    const page = await listAudit(deps, actor, { ...query, limit: "500", ...(cursor ? { cursor } : {}) });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && out.length < max);
  return out.slice(0, max);
}

/** Removes entries older than the retention; returns how many. DynamoDB's TTL does the same by itself, up to 48 h late. */
export async function pruneAudit(deps: Pick<AuditDeps, "audit" | "now">, retentionDays: number): Promise<number> {
  return deps.audit.prune(new Date(deps.now().getTime() - retentionDays * 86_400_000).toISOString());
}
