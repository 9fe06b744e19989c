/**
 * Teams end to end through the real route modules on a local backend:
 * invitations (signed, single use, expiring, through the Mailer), roles and
 * the last-owner rule, removal and disabling ending sessions and tokens at
 * once, password change and reset (same answer for unknown addresses),
 * token scopes and expiry, sign-out revoking a copied cookie, and what the
 * audit log recorded, as owners and admins see it.
 */
import fs from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { AppDeps } from "@/lib/config";
import { getAuthOptions } from "@/lib/auth";
import type { UserRecord } from "@/lib/ports";
import { authenticate, createUser } from "@/lib/users/users";
import { apiClient, type AnyRoute } from "@/test/support/api-client";
import { drainDeliveries, makeLocalDeps } from "@/test/support/local-env";
import * as members from "@/app/api/v1/members/route";
import * as member from "@/app/api/v1/members/[id]/route";
import * as exportsRoute from "@/app/api/v1/exports/route";
import * as tokensRoute from "@/app/api/v1/tokens/route";
import * as auditRoute from "@/app/api/v1/audit/route";
import * as passwordRoute from "@/app/api/v1/account/password/route";
import * as adminUser from "@/app/api/v1/admin/users/[id]/route";
import * as adminSuppliers from "@/app/api/v1/admin/suppliers/route";
import * as adminSupplier from "@/app/api/v1/admin/suppliers/[id]/route";
import * as accept from "@/app/api/account/accept-invitation/route";
import * as forgot from "@/app/api/account/forgot-password/route";
import * as reset from "@/app/api/account/reset-password/route";

const state = vi.hoisted(() => ({ deps: undefined as AppDeps | undefined }));
vi.mock("@/lib/config", async (importOriginal) => ({
  ...(await importOriginal<typeof import("@/lib/config")>()),
  getDeps: () => state.deps!,
}));

let deps: AppDeps & { dataDir: string };
const { call } = apiClient(() => deps.config.authSecret);
let owner: UserRecord;
let admin: UserRecord;
const UA = { "user-agent": "teams-flow-test/1.0", "x-forwarded-for": "198.51.100.9" };

beforeAll(async () => {
  deps = await makeLocalDeps("/nonexistent/warehouse.duckdb");
  state.deps = deps;
  owner = await createUser(deps.users, { email: "olive@rose.test", password: "owner-password-123", role: "supplier", supplierId: "sup_rose", supplierName: "Rose Supply Co" });
  admin = await createUser(deps.users, { email: "admin@acmeflowers.test", password: "admin-password-123", role: "admin" });
});
afterAll(async () => {
  await deps.close();
  await fs.rm(deps.dataDir, { recursive: true, force: true });
});

const fresh = async (u: UserRecord) => (await deps.users.getUser(u.id))!;

/** The link token in the newest mail to `to`. */
async function linkIn(to: string, kind: "invite" | "reset-password"): Promise<string> {
  const mail = (await deps.mailer.listSent(50))!.find((m) => m.to === to);
  const m = mail && new RegExp(`/${kind}/([^\\s"<]+)`).exec(mail.text);
  if (!m) throw new Error(`no ${kind} mail to ${to}`);
  return decodeURIComponent(m[1]!);
}

async function invite(email: string, membership: string): Promise<UserRecord> {
  const res = await call(members.POST as AnyRoute, "/api/v1/members", { method: "POST", as: await fresh(owner), body: { email, membership }, headers: UA });
  expect(res.status, res.text).toBe(201);
  const token = await linkIn(email, "invite");
  const accepted = await call(accept.POST as AnyRoute, "/api/account/accept-invitation", { method: "POST", body: { token, name: email.split("@")[0], password: "member-password-123" }, headers: UA });
  expect(accepted.status, accepted.text).toBe(200);
  return (await deps.users.getUserByEmail(email))!;
}

const listExports = async (who: { as?: UserRecord; token?: string }) => (await call(exportsRoute.GET as AnyRoute, "/api/v1/exports", who)).status;

describe("invitations", () => {
  it("invites by a signed link that sets the password, works once, and expires", async () => {
    const res = await call(members.POST as AnyRoute, "/api/v1/members", { method: "POST", as: owner, body: { email: "Mia@Rose.test", membership: "member" } });
    expect(res.status).toBe(201);
    expect(res.body.member).toMatchObject({ email: "mia@rose.test", membership: "member", status: "invited" });
    // An invited account has no password: it cannot sign in before accepting.
    expect(await authenticate(deps.users, "mia@rose.test", "")).toBeNull();
    const token = await linkIn("mia@rose.test", "invite");

    const tampered = token.slice(0, -2) + (token.endsWith("A") ? "BB" : "AA");
    const bad = await call(accept.POST as AnyRoute, "/api/account/accept-invitation", { method: "POST", body: { token: tampered, name: "Mia", password: "mia-password-1234" } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/not valid/);

    const ok = await call(accept.POST as AnyRoute, "/api/account/accept-invitation", { method: "POST", body: { token, name: "Mia", password: "mia-password-1234" } });
    expect(ok.status).toBe(200);
    expect((await authenticate(deps.users, "mia@rose.test", "mia-password-1234"))?.membership).toBe("member");

    const again = await call(accept.POST as AnyRoute, "/api/account/accept-invitation", { method: "POST", body: { token, name: "Eve", password: "eve-password-12345" } });
    expect(again.status).toBe(400);
    expect(again.body.error.message).toMatch(/already been used/);
    expect(await authenticate(deps.users, "mia@rose.test", "eve-password-12345")).toBeNull();
  });

  it("refuses an expired invitation, and a re-sent invitation voids the older link", async () => {
    await call(members.POST as AnyRoute, "/api/v1/members", { method: "POST", as: owner, body: { email: "late@rose.test", membership: "viewer" } });
    const first = await linkIn("late@rose.test", "invite");
    await call(members.POST as AnyRoute, "/api/v1/members", { method: "POST", as: owner, body: { email: "late@rose.test", membership: "viewer" } });
    const second = await linkIn("late@rose.test", "invite");
    expect(second).not.toBe(first);
    const voided = await call(accept.POST as AnyRoute, "/api/account/accept-invitation", { method: "POST", body: { token: first, name: "Late", password: "late-password-123" } });
    expect(voided.body.error.message).toMatch(/already been used|replaced/);

    const realNow = deps.now;
    deps.now = () => new Date(Date.now() + deps.config.teams.invitationTtlSeconds * 1000 + 1000);
    try {
      const expired = await call(accept.POST as AnyRoute, "/api/account/accept-invitation", { method: "POST", body: { token: second, name: "Late", password: "late-password-123" } });
      expect(expired.status).toBe(400);
      expect(expired.body.error.message).toMatch(/expired/);
    } finally {
      deps.now = realNow;
    }
  });

  it("refuses to invite an address that has an account (409), and bad input with 400", async () => {
    expect((await call(members.POST as AnyRoute, "/api/v1/members", { method: "POST", as: owner, body: { email: "admin@acmeflowers.test", membership: "member" } })).status).toBe(409);
    expect((await call(members.POST as AnyRoute, "/api/v1/members", { method: "POST", as: owner, body: { email: "x@rose.test", membership: "king" } })).status).toBe(400);
  });
});

describe("roles, the last owner, removal", () => {
  it("keeps the last owner: cannot be demoted or removed until another owner exists", async () => {
    const demote = await call(member.PATCH as AnyRoute, `/api/v1/members/${owner.id}`, { method: "PATCH", as: owner, body: { membership: "member" }, params: { id: owner.id } });
    expect(demote.status).toBe(409);
    expect(demote.body.error.message).toMatch(/last owner/);
    expect((await call(member.DELETE as AnyRoute, `/api/v1/members/${owner.id}`, { method: "DELETE", as: owner, params: { id: owner.id } })).status).toBe(409);

    const second = await invite("otto@rose.test", "member");
    const promote = await call(member.PATCH as AnyRoute, `/api/v1/members/${second.id}`, { method: "PATCH", as: owner, body: { membership: "owner" }, params: { id: second.id } });
    expect(promote.body.member.membership).toBe("owner");
    // Now there are two owners, and demoting one is fine; then the other is the last again.
    const back = await call(member.PATCH as AnyRoute, `/api/v1/members/${second.id}`, { method: "PATCH", as: owner, body: { membership: "viewer" }, params: { id: second.id } });
    expect(back.body.member.membership).toBe("viewer");
  });

  it("ends a removed member's session and API tokens at once", async () => {
    const leaver = await invite("leo@rose.test", "owner");
    const sessionUser = await fresh(leaver);
    const token = (await call(tokensRoute.POST as AnyRoute, "/api/v1/tokens", { method: "POST", as: sessionUser, body: { name: "leo's sync", scopes: ["exports:read"] } })).body.secret as string;
    expect(await listExports({ as: sessionUser })).toBe(200);
    expect(await listExports({ token })).toBe(200);
    const removed = await call(member.DELETE as AnyRoute, `/api/v1/members/${leaver.id}`, { method: "DELETE", as: owner, params: { id: leaver.id } });
    expect(removed.status).toBe(204);
    expect(await listExports({ as: sessionUser })).toBe(401);
    expect(await listExports({ token })).toBe(401);
  });

  it("does not let one supplier's owner touch another supplier's member (404)", async () => {
    const other = await createUser(deps.users, { email: "tina@tulip.test", password: "tulip-password-123", role: "supplier", supplierId: "sup_tulip" });
    expect((await call(member.DELETE as AnyRoute, `/api/v1/members/${other.id}`, { method: "DELETE", as: owner, params: { id: other.id } })).status).toBe(404);
    expect(await deps.users.getUser(other.id)).not.toBeNull();
  });
});

describe("ending sessions and tokens (issue 12 finding 5)", () => {
  it("a password change ends every session and the user's tokens; keepTokens keeps the tokens", async () => {
    const pat = await invite("pat@rose.test", "owner");
    let me = await fresh(pat);
    const mint = async (u: UserRecord) => (await call(tokensRoute.POST as AnyRoute, "/api/v1/tokens", { method: "POST", as: u, body: { name: "t", scopes: ["exports:read"] } })).body.secret as string;
    const t1 = await mint(me);
    const change = await call(passwordRoute.POST as AnyRoute, "/api/v1/account/password", { method: "POST", as: me, body: { currentPassword: "member-password-123", newPassword: "new-password-4567" } });
    expect(change.status, change.text).toBe(200);
    expect(change.body.tokensRevoked).toBe(1);
    expect(await listExports({ as: me })).toBe(401); // the old cookie
    expect(await listExports({ token: t1 })).toBe(401);

    me = await fresh(pat);
    const t2 = await mint(me);
    const kept = await call(passwordRoute.POST as AnyRoute, "/api/v1/account/password", { method: "POST", as: me, body: { currentPassword: "new-password-4567", newPassword: "newer-password-890", keepTokens: true } });
    expect(kept.body.tokensRevoked).toBe(0);
    expect(await listExports({ as: me })).toBe(401);
    expect(await listExports({ token: t2 })).toBe(200);

    const wrong = await call(passwordRoute.POST as AnyRoute, "/api/v1/account/password", { method: "POST", as: await fresh(pat), body: { currentPassword: "nope-nope-nope", newPassword: "whatever-12345" } });
    expect(wrong.status).toBe(400);
  });

  it("an admin disabling a user or a supplier ends sessions and tokens at once; enabling restores the tokens", async () => {
    const dee = await invite("dee@rose.test", "owner");
    const me = await fresh(dee);
    const token = (await call(tokensRoute.POST as AnyRoute, "/api/v1/tokens", { method: "POST", as: me, body: { name: "t", scopes: ["exports:read"] } })).body.secret as string;
    const off = await call(adminUser.PATCH as AnyRoute, `/api/v1/admin/users/${dee.id}`, { method: "PATCH", as: admin, body: { disabled: true }, params: { id: dee.id } });
    expect(off.body.user.status).toBe("disabled");
    expect(await listExports({ as: me })).toBe(401);
    expect(await listExports({ token })).toBe(401);
    await call(adminUser.PATCH as AnyRoute, `/api/v1/admin/users/${dee.id}`, { method: "PATCH", as: admin, body: { disabled: false }, params: { id: dee.id } });
    expect(await listExports({ token })).toBe(200);
    expect(await listExports({ as: me })).toBe(401); // the session ended for good

    const ownerNow = await fresh(owner);
    const disable = await call(adminSupplier.PATCH as AnyRoute, "/api/v1/admin/suppliers/sup_rose", { method: "PATCH", as: admin, body: { disabled: true }, params: { id: "sup_rose" } });
    expect(disable.status, disable.text).toBe(200);
    expect(await listExports({ as: ownerNow })).toBe(401);
    expect(await listExports({ token })).toBe(401);
    await call(adminSupplier.PATCH as AnyRoute, "/api/v1/admin/suppliers/sup_rose", { method: "PATCH", as: admin, body: { disabled: false }, params: { id: "sup_rose" } });
    expect(await listExports({ as: ownerNow })).toBe(200);
  });

  it("sign-out revokes a cookie copied before it", async () => {
    const me = await fresh(owner);
    expect(await listExports({ as: me })).toBe(200);
    await (await getAuthOptions()).events!.signOut!({ token: { id: me.id, sv: me.sessionVersion }, session: null as never });
    expect(await listExports({ as: me })).toBe(401);
    expect((await fresh(owner)).sessionVersion).toBe(me.sessionVersion + 1);
  });

  it("refuses an expired token with 401", async () => {
    const me = await fresh(owner);
    const token = (await call(tokensRoute.POST as AnyRoute, "/api/v1/tokens", { method: "POST", as: me, body: { name: "short", scopes: ["exports:read"], expiresInDays: 1 } })).body;
    expect(token.token.expiresAt).toBeTruthy();
    expect(await listExports({ token: token.secret })).toBe(200);
    const realNow = deps.now;
    deps.now = () => new Date(Date.now() + 86_400_000 + 1000);
    try {
      expect(await listExports({ token: token.secret })).toBe(401);
    } finally {
      deps.now = realNow;
    }
  });
});

describe("password reset", () => {
  it("answers the same for known and unknown addresses, mails only the known one, and the link works once", async () => {
    const before = (await deps.mailer.listSent(500))!.length;
    const known = await call(forgot.POST as AnyRoute, "/api/account/forgot-password", { method: "POST", body: { email: "olive@rose.test" }, headers: UA });
    const unknown = await call(forgot.POST as AnyRoute, "/api/account/forgot-password", { method: "POST", body: { email: "nobody@nowhere.test" }, headers: UA });
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(unknown.text).toBe(known.text);
    // The request only queued the lookup; the delivery lane mails the known address alone.
    expect((await deps.mailer.listSent(500))!.length).toBe(before);
    expect(await drainDeliveries(deps)).toBe(2);
    expect((await deps.mailer.listSent(500))!.length).toBe(before + 1);

    const me = await fresh(owner);
    const token = await linkIn("olive@rose.test", "reset-password");
    const done = await call(reset.POST as AnyRoute, "/api/account/reset-password", { method: "POST", body: { token, password: "reset-password-123" }, headers: UA });
    expect(done.status, done.text).toBe(200);
    expect(await authenticate(deps.users, "olive@rose.test", "reset-password-123")).not.toBeNull();
    expect(await listExports({ as: me })).toBe(401);
    const twice = await call(reset.POST as AnyRoute, "/api/account/reset-password", { method: "POST", body: { token, password: "other-password-123" } });
    expect(twice.status).toBe(400);
    expect(await authenticate(deps.users, "olive@rose.test", "other-password-123")).toBeNull();
  });
});

describe("admin: suppliers", () => {
  it("creates a supplier and invites its first owner; renames it; lists legacy suppliers too", async () => {
    const created = await call(adminSuppliers.POST as AnyRoute, "/api/v1/admin/suppliers", { method: "POST", as: admin, body: { id: "sup_aster", name: "Aster & Sons", ownerEmail: "ada@aster.test" } });
    expect(created.status, created.text).toBe(201);
    expect(created.body.owner).toMatchObject({ email: "ada@aster.test", membership: "owner", status: "invited" });
    expect(await linkIn("ada@aster.test", "invite")).toBeTruthy();
    expect((await call(adminSuppliers.POST as AnyRoute, "/api/v1/admin/suppliers", { method: "POST", as: admin, body: { id: "sup_aster", name: "Again" } })).status).toBe(409);
    await call(adminSupplier.PATCH as AnyRoute, "/api/v1/admin/suppliers/sup_aster", { method: "PATCH", as: admin, body: { name: "Aster Ltd" }, params: { id: "sup_aster" } });
    expect((await deps.users.getUserByEmail("ada@aster.test"))?.supplierName).toBe("Aster Ltd");
    const list = await call(adminSuppliers.GET as AnyRoute, "/api/v1/admin/suppliers", { as: admin });
    expect(list.body.suppliers.map((s: { id: string }) => s.id)).toEqual(expect.arrayContaining(["sup_aster", "sup_rose", "sup_tulip"]));
  });
});

describe("audit log", () => {
  it("records who did what, from where, and shows owners their supplier's entries only; admins everything; CSV too", async () => {
    const ownerNow = await fresh(owner);
    const page = await call(auditRoute.GET as AnyRoute, "/api/v1/audit?limit=500", { as: ownerNow });
    expect(page.status).toBe(200);
    const actions = new Set(page.body.items.map((e: { action: string }) => e.action));
    for (const a of ["member.invited", "member.joined", "member.role_changed", "member.removed", "token.created", "password.changed", "password.reset_requested", "password.reset", "signout", "user.disabled", "supplier.disabled"]) {
      expect(actions, a).toContain(a);
    }
    expect(page.body.items.every((e: { supplierId: string }) => e.supplierId === "sup_rose")).toBe(true);
    const invited = page.body.items.find((e: { action: string; detail: string | null }) => e.action === "member.invited" && e.detail?.includes("otto"));
    expect(invited).toMatchObject({ actorEmail: "olive@rose.test", ip: "198.51.100.9", userAgent: "teams-flow-test/1.0", via: "session" });

    const filtered = await call(auditRoute.GET as AnyRoute, "/api/v1/audit?action=member.removed", { as: ownerNow });
    expect(filtered.body.items.map((e: { action: string }) => e.action)).toEqual(["member.removed"]);
    const other = await call(auditRoute.GET as AnyRoute, "/api/v1/audit?supplierId=sup_aster", { as: ownerNow });
    expect(other.status).toBe(403);

    const all = await call(auditRoute.GET as AnyRoute, "/api/v1/audit?limit=500", { as: admin });
    expect(new Set(all.body.items.map((e: { supplierId: string | null }) => e.supplierId))).toEqual(new Set(["sup_rose", "sup_aster"]));

    const csv = await call(auditRoute.GET as AnyRoute, "/api/v1/audit?format=csv&action=member.invited", { as: ownerNow });
    expect(csv.headers.get("content-type")).toMatch(/text\/csv/);
    const lines = csv.text.trim().split("\r\n");
    expect(lines[0]).toBe("at,action,actorEmail,actorId,via,supplierId,target,ip,userAgent,detail,id");
    expect(lines.length - 1).toBe(page.body.items.filter((e: { action: string }) => e.action === "member.invited").length);

    // A viewer cannot read it.
    const viewer = await invite("vic@rose.test", "viewer");
    expect((await call(auditRoute.GET as AnyRoute, "/api/v1/audit", { as: await fresh(viewer) })).status).toBe(403);
  });
});

describe("audit retention", () => {
  it("pruneAudit removes entries older than AUDIT_RETENTION_DAYS and keeps the rest", async () => {
    const { pruneAudit } = await import("@/lib/audit/audit");
    const before = (await deps.audit.list({ limit: 1000 })).items.length;
    await deps.audit.append({ id: "aud_0000000000oldoldoldold", at: "2020-01-01T00:00:00.000Z", action: "signin", actorId: null, actorEmail: "old@x.test", via: "session", supplierId: null, target: null, ip: null, userAgent: null, detail: null });
    expect(await pruneAudit(deps, deps.config.teams.auditRetentionDays)).toBe(1);
    expect((await deps.audit.list({ limit: 1000 })).items.length).toBe(before);
  });
});
