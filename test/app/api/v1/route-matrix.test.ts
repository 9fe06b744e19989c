/**
 * Every /api/v1 route, called through its route file as each kind of caller:
 * signed out, a supplier (who owns the resource), another supplier, an admin
 * and the first supplier's API token. The status each must get is derived from
 * the route's `access` in lib/api/routes.ts, so a route whose wrapper drifts
 * from its declaration (or a new route without a fixture here: `FIXTURES` is
 * typed by the table's keys) fails this test.
 *
 * Derivation: public → the route's success status for everyone; signed out →
 * 401; a token where `tokens` is false → 401; a role not in `roles` → 403
 * (a token acts as role "supplier"); a supplier member below the route's
 * `membership` → 403 (owner > member > viewer; a token acts with its
 * creator's membership); a token without the route's `scope` → 403; another
 * supplier on a resource the first owns → 404 (never someone else's data);
 * otherwise the success status.
 *
 * Callers: signed out; rose's owner, member and viewer; another supplier's
 * owner; an admin; rose's owner's token with every scope; a token with every
 * scope but the route's; a token with every scope made by rose's viewer.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { AppDeps } from "@/lib/config";
import type { TableRouteHandler } from "@/lib/api/handler";
import { ROUTES, type Access, type Role, type RouteKey } from "@/lib/api/routes";
import { newId } from "@/lib/core/ids";
import { newExportRecord, type ExportRecord } from "@/lib/exports/model";
import type { Membership, UserRecord } from "@/lib/ports";
import { hasMembership } from "@/lib/api/access";
import { TOKEN_SCOPES, type TokenScope } from "@/lib/tokens/scopes";
import { createApiToken, revokeApiToken } from "@/lib/tokens/api-tokens";
import { createUser } from "@/lib/users/users";
import { createWebhookEndpoint } from "@/lib/webhooks/endpoints";
import { createDestination, createSchedule, withSchedules } from "@/lib/schedules/service";
import { apiClient } from "@/test/support/api-client";
import { makeLocalDeps, seededWarehouse } from "@/test/support/local-env";

const state = vi.hoisted(() => ({ deps: undefined as AppDeps | undefined }));
vi.mock("@/lib/config", async (importOriginal) => ({
  ...(await importOriginal<typeof import("@/lib/config")>()),
  getDeps: () => {
    if (!state.deps) throw new Error("test deps are not set up");
    return state.deps;
  },
}));

const ROOT = path.resolve(import.meta.dirname, "../../../..");
const { call } = apiClient(() => state.deps!.config.authSecret);

type CallerName =
  | "signed out"
  | "supplier"
  | "member"
  | "viewer"
  | "other supplier"
  | "admin"
  | "API token"
  | "token without the scope"
  | "viewer's token";
const CALLERS: CallerName[] = ["signed out", "supplier", "member", "viewer", "other supplier", "admin", "API token", "token without the scope", "viewer's token"];
const TOKEN_CALLERS = new Set<CallerName>(["API token", "token without the scope", "viewer's token"]);
/** Each caller's membership of rose (the owner is "supplier"). */
const MEMBERSHIP_OF: Partial<Record<CallerName, Membership>> = {
  supplier: "owner",
  member: "member",
  viewer: "viewer",
  "other supplier": "owner",
  "API token": "owner",
  "token without the scope": "owner",
  "viewer's token": "viewer",
};

let deps: AppDeps & { dataDir: string };
let warehouse: { dbPath: string; dir: string } | undefined;
let rose: UserRecord;
let tulip: UserRecord;
let admin: UserRecord;
let roseToken: string;
let roseMember: UserRecord;
let roseViewer: UserRecord;
let viewerToken: string;
/** Per scope: a token of rose's owner with every scope except that one. */
const tokenWithout: Partial<Record<TokenScope | "none", string>> = {};
let seq = 0;
/** The token the DELETE fixture made last (see there). */
let unrevoked: string | undefined;
/** A fresh member of rose's, for routes that change or remove one. */
const roseMemberToChange = async () =>
  (await createUser(deps.users, { email: `m${++seq}@rose.test`, password: "test-password-123", role: "supplier", supplierId: "sup_rose", membership: "member" })).id;

/** What one call needs: its path params and body, made fresh for each call (a cancel or delete uses its resource up). */
interface Prepared {
  params?: Record<string, string>;
  body?: unknown;
  headers?: Record<string, string>;
}

interface Fixture {
  /** The status an allowed caller gets. */
  ok: number;
  /** The route acts on a resource owned by the supplier ("rose"): another supplier must get 404. */
  owned?: boolean;
  prepare?: () => Promise<Prepared>;
}

/** An export of rose's in the given state, written straight to the job store. */
async function roseExport(overrides: Partial<ExportRecord> = {}): Promise<string> {
  const now = new Date();
  const record = newExportRecord(
    {
      id: newId("exp", now.getTime()),
      supplierId: "sup_rose",
      requestedBy: rose.id,
      requesterEmail: rose.email,
      dataset: "product_inventory",
      params: {},
      format: "csv",
      bom: false,
      notify: false,
      createdAt: now.toISOString(),
    },
    overrides,
  );
  await deps.jobs.createExport(record, []);
  return record.id;
}

const roseActor = () => ({ userId: rose.id, email: rose.email, role: "supplier" as const, supplierId: "sup_rose" });
const roseEndpoint = async () => (await createWebhookEndpoint(deps, roseActor(), { url: "https://hooks.example.com/pep" })).endpoint.id;
let listedEndpoint: Promise<string> | undefined;
/** One endpoint for the read-only deliveries route (a supplier may register 10). */
const roseListedEndpoint = () => (listedEndpoint ??= roseEndpoint());

const schedulesOf = () => withSchedules(deps);
const roseDestination = async () =>
  (await createDestination(schedulesOf(), roseActor(), { kind: "sftp", name: "matrix", host: "127.0.0.1", port: 1, username: "rose", password: "pw" })).id;
const roseSchedule = async () =>
  (
    await createSchedule(schedulesOf(), roseActor(), {
      name: "matrix",
      request: { dataset: "product_inventory", params: {}, notify: false },
      cadence: { kind: "daily", time: "06:00" },
    })
  ).schedule.id;

const FIXTURES: Record<RouteKey, Fixture> = {
  "POST /api/v1/exports": {
    ok: 202,
    prepare: async () => ({
      body: { dataset: "product_inventory", params: {}, format: "csv", notify: false },
      headers: { "idempotency-key": randomUUID() },
    }),
  },
  "POST /api/v1/exports/preview": { ok: 200, prepare: async () => ({ body: { dataset: "product_inventory", params: {} } }) },
  "GET /api/v1/datasets/{id}/options/{param}": { ok: 200, prepare: async () => ({ params: { id: "product_inventory", param: "warehouse" } }) },
  "GET /api/v1/exports": { ok: 200 },
  "GET /api/v1/exports/{id}": { ok: 200, owned: true, prepare: async () => ({ params: { id: await roseExport() } }) },
  "POST /api/v1/exports/{id}/cancel": { ok: 200, owned: true, prepare: async () => ({ params: { id: await roseExport() } }) },
  "POST /api/v1/exports/{id}/retry": {
    ok: 200,
    owned: true,
    prepare: async () => ({ params: { id: await roseExport({ status: "failed", errorCode: "query_failed", errorMessage: "boom" }) } }),
  },
  "GET /api/v1/exports/{id}/download": {
    ok: 302,
    owned: true,
    prepare: async () => ({ params: { id: await roseExport({ status: "ready", archiveKey: "archives/route-matrix.zip" }) } }),
  },
  "GET /api/v1/datasets": { ok: 200 },
  "GET /api/v1/admin/exports": { ok: 200 },
  "GET /api/v1/admin/stats": { ok: 200 },
  "GET /api/v1/admin/schedules": { ok: 200 },
  "GET /api/v1/tokens": { ok: 200 },
  "POST /api/v1/tokens": { ok: 201, prepare: async () => ({ body: { name: "route matrix" } }) },
  "DELETE /api/v1/tokens/{id}": {
    ok: 200,
    owned: true,
    prepare: async () => {
      // A supplier may hold 10 active tokens, and this file holds 7 for its callers: revoke the one a refused caller left.
      if (unrevoked) await revokeApiToken(deps, roseActor(), unrevoked).catch(() => undefined);
      unrevoked = (await createApiToken(deps, roseActor(), { name: "to revoke" })).token.id;
      return { params: { id: unrevoked } };
    },
  },
  "GET /api/v1/webhooks": { ok: 200 },
  "POST /api/v1/webhooks": { ok: 201, prepare: async () => ({ body: { url: "https://hooks.example.com/new" } }) },
  "DELETE /api/v1/webhooks/{id}": { ok: 204, owned: true, prepare: async () => ({ params: { id: await roseEndpoint() } }) },
  "GET /api/v1/webhooks/{id}/deliveries": { ok: 200, owned: true, prepare: async () => ({ params: { id: await roseListedEndpoint() } }) },
  "GET /api/v1/schedules": { ok: 200 },
  "POST /api/v1/schedules": {
    ok: 201,
    prepare: async () => ({ body: { name: "new", request: { dataset: "product_inventory" }, cadence: { kind: "cron", expression: "0 6 * * 1" }, timezone: "Europe/Amsterdam" } }),
  },
  "GET /api/v1/schedules/{id}": { ok: 200, owned: true, prepare: async () => ({ params: { id: await roseSchedule() } }) },
  "PATCH /api/v1/schedules/{id}": { ok: 200, owned: true, prepare: async () => ({ params: { id: await roseSchedule() }, body: { name: "renamed" } }) },
  "DELETE /api/v1/schedules/{id}": { ok: 204, owned: true, prepare: async () => ({ params: { id: await roseSchedule() } }) },
  "POST /api/v1/schedules/{id}/pause": { ok: 200, owned: true, prepare: async () => ({ params: { id: await roseSchedule() } }) },
  "POST /api/v1/schedules/{id}/resume": { ok: 200, owned: true, prepare: async () => ({ params: { id: await roseSchedule() } }) },
  "POST /api/v1/schedules/{id}/run": { ok: 202, owned: true, prepare: async () => ({ params: { id: await roseSchedule() } }) },
  "GET /api/v1/destinations": { ok: 200 },
  "POST /api/v1/destinations": { ok: 201, prepare: async () => ({ body: { kind: "s3", name: "lake", bucket: "rose-lake", region: "eu-west-1" } }) },
  "DELETE /api/v1/destinations/{id}": { ok: 204, owned: true, prepare: async () => ({ params: { id: await roseDestination() } }) },
  "POST /api/v1/destinations/{id}/test": { ok: 200, owned: true, prepare: async () => ({ params: { id: await roseDestination() } }) },
  "GET /api/v1/destinations/{id}/deliveries": { ok: 200, owned: true, prepare: async () => ({ params: { id: await roseDestination() } }) },
  "GET /api/v1/openapi.json": { ok: 200 },
  "GET /api/v1/members": { ok: 200 },
  "POST /api/v1/members": { ok: 201, prepare: async () => ({ body: { email: `invitee${++seq}@rose.test`, membership: "viewer" } }) },
  "PATCH /api/v1/members/{id}": { ok: 200, owned: true, prepare: async () => ({ params: { id: await roseMemberToChange() }, body: { membership: "viewer" } }) },
  "DELETE /api/v1/members/{id}": { ok: 204, owned: true, prepare: async () => ({ params: { id: await roseMemberToChange() } }) },
  "GET /api/v1/audit": { ok: 200 },
  // A wrong current password: the access passed and the handler ran (a right one would end the callers' sessions).
  "POST /api/v1/account/password": { ok: 400, prepare: async () => ({ body: { currentPassword: "not-the-password", newPassword: "a-new-password-123" } }) },
  "GET /api/v1/admin/suppliers": { ok: 200 },
  "POST /api/v1/admin/suppliers": { ok: 201, prepare: async () => ({ body: { id: `sup_matrix${++seq}`, name: "Matrix Co" } }) },
  "PATCH /api/v1/admin/suppliers/{id}": { ok: 200, prepare: async () => ({ params: { id: "sup_rose" }, body: { name: "Rose Supply Co" } }) },
  "POST /api/v1/admin/suppliers/{id}/invitations": {
    ok: 201,
    prepare: async () => ({ params: { id: "sup_rose" }, body: { email: `first${++seq}@rose.test`, membership: "owner" } }),
  },
  "GET /api/v1/admin/users": { ok: 200 },
  "PATCH /api/v1/admin/users/{id}": { ok: 200, prepare: async () => ({ params: { id: await roseMemberToChange() }, body: { disabled: false } }) },
};

/** The status the declaration implies for this caller. */
function expectedStatus(access: Access, fixture: Fixture, caller: CallerName): number {
  if (access.public) return fixture.ok;
  if (caller === "signed out") return 401;
  if (TOKEN_CALLERS.has(caller) && !access.tokens) return 401;
  const role: Role = caller === "admin" ? "admin" : "supplier";
  if (!access.roles.includes(role)) return 403;
  if (role === "supplier" && !hasMembership(MEMBERSHIP_OF[caller], access.membership ?? "owner")) return 403;
  if (caller === "token without the scope") return 403;
  if (caller === "other supplier" && fixture.owned) return 404;
  return fixture.ok;
}

/** The route file's handler for a table key, e.g. "GET /api/v1/exports/{id}" → app/api/v1/exports/[id]/route.ts's GET. */
async function handlerFor(key: RouteKey): Promise<TableRouteHandler<any>> {
  const [method, urlPath] = key.split(" ") as [string, string];
  const file = path.join(ROOT, "app", urlPath.replace(/\{(\w+)\}/g, "[$1]"), "route.ts");
  const mod = (await import(file)) as Record<string, TableRouteHandler<any> | undefined>;
  const handler = mod[method];
  if (!handler) throw new Error(`${file} exports no ${method}`);
  return handler;
}

beforeAll(async () => {
  // A small warehouse for the routes that read it (preview, filter options); exports stay queued.
  warehouse = await seededWarehouse(200);
  deps = await makeLocalDeps(warehouse.dbPath);
  state.deps = deps;
  const make = (email: string, role: "supplier" | "admin", supplierId?: string) =>
    createUser(deps.users, { email, password: "test-password-123", role, supplierId });
  [rose, tulip, admin] = await Promise.all([
    make("rose@suppliers.test", "supplier", "sup_rose"),
    make("tulip@suppliers.test", "supplier", "sup_tulip"),
    make("admin@acmeflowers.test", "admin"),
  ]);
  roseToken = (await createApiToken(deps, roseActor(), { name: "route matrix caller", scopes: [...TOKEN_SCOPES] })).secret;
  roseMember = await createUser(deps.users, { email: "member@rose.test", password: "test-password-123", role: "supplier", supplierId: "sup_rose", membership: "member" });
  roseViewer = await createUser(deps.users, { email: "viewer@rose.test", password: "test-password-123", role: "supplier", supplierId: "sup_rose", membership: "viewer" });
  const viewerActor = { userId: roseViewer.id, email: roseViewer.email, role: "supplier" as const, supplierId: "sup_rose", membership: "viewer" as const };
  viewerToken = (await createApiToken(deps, viewerActor, { name: "viewer's", scopes: [...TOKEN_SCOPES] })).secret;
  for (const scope of TOKEN_SCOPES) {
    tokenWithout[scope] = (await createApiToken(deps, roseActor(), { name: `all but ${scope}`, scopes: TOKEN_SCOPES.filter((s) => s !== scope) })).secret;
  }
});

afterAll(async () => {
  await deps?.close();
  if (deps) await fs.rm(deps.dataDir, { recursive: true, force: true });
  if (warehouse) await fs.rm(warehouse.dir, { recursive: true, force: true });
});

/** What each caller got from each route, written out when ROUTE_MATRIX_OUT names a file (for the closing note). */
const observed: Record<string, Record<string, number>> = {};
afterAll(async () => {
  if (process.env.ROUTE_MATRIX_OUT) await fs.writeFile(process.env.ROUTE_MATRIX_OUT, JSON.stringify(observed, null, 1));
});

/**
 * Issue 15's rules written out independently of the table: owners manage
 * members, tokens and webhooks and read the audit log; members request and
 * cancel exports; viewers read and download only. Editing the table against
 * them fails here, not just in the derived statuses.
 */
const ISSUE_RULES: Record<string, string> = {
  // Issue 14: schedules read/written like exports; destinations (credentials to the supplier's systems) owners only, like webhooks.
  "GET /api/v1/schedules": "viewer exports:read",
  "POST /api/v1/schedules": "member exports:write",
  "GET /api/v1/schedules/{id}": "viewer exports:read",
  "PATCH /api/v1/schedules/{id}": "member exports:write",
  "DELETE /api/v1/schedules/{id}": "member exports:write",
  "POST /api/v1/schedules/{id}/pause": "member exports:write",
  "POST /api/v1/schedules/{id}/resume": "member exports:write",
  "POST /api/v1/schedules/{id}/run": "member exports:write",
  "GET /api/v1/destinations": "viewer exports:read",
  "POST /api/v1/destinations": "owner webhooks:manage",
  "DELETE /api/v1/destinations/{id}": "owner webhooks:manage",
  "POST /api/v1/destinations/{id}/test": "owner webhooks:manage",
  "GET /api/v1/destinations/{id}/deliveries": "viewer exports:read",
  "GET /api/v1/datasets": "viewer exports:read",
  "GET /api/v1/exports": "viewer exports:read",
  "POST /api/v1/exports": "member exports:write",
  "GET /api/v1/exports/{id}": "viewer exports:read",
  "GET /api/v1/exports/{id}/download": "viewer exports:read",
  // Composing a request (preview runs the query on a sample) is a member's; the filter's value list is anyone's.
  "POST /api/v1/exports/preview": "member exports:write",
  "GET /api/v1/datasets/{id}/options/{param}": "viewer exports:read",
  "POST /api/v1/exports/{id}/cancel": "member exports:write",
  "POST /api/v1/exports/{id}/retry": "admin",
  "GET /api/v1/webhooks": "owner webhooks:manage",
  "POST /api/v1/webhooks": "owner webhooks:manage",
  "DELETE /api/v1/webhooks/{id}": "owner webhooks:manage",
  "GET /api/v1/webhooks/{id}/deliveries": "owner webhooks:manage",
  "GET /api/v1/tokens": "owner session-only",
  "POST /api/v1/tokens": "owner session-only",
  "DELETE /api/v1/tokens/{id}": "owner session-only",
  "GET /api/v1/members": "viewer session-only",
  "POST /api/v1/members": "owner session-only",
  "PATCH /api/v1/members/{id}": "owner session-only",
  "DELETE /api/v1/members/{id}": "owner session-only",
  "GET /api/v1/audit": "owner audit:read",
  "POST /api/v1/account/password": "viewer session-only",
  "GET /api/v1/admin/exports": "admin",
  "GET /api/v1/admin/stats": "admin",
  "GET /api/v1/admin/schedules": "admin",
  "GET /api/v1/admin/suppliers": "admin",
  "POST /api/v1/admin/suppliers": "admin",
  "PATCH /api/v1/admin/suppliers/{id}": "admin",
  "POST /api/v1/admin/suppliers/{id}/invitations": "admin",
  "GET /api/v1/admin/users": "admin",
  "PATCH /api/v1/admin/users/{id}": "admin",
  "GET /api/v1/openapi.json": "public",
};

describe("route access matrix", () => {
  const keys = Object.keys(ROUTES) as RouteKey[];

  it("declares issue 15's membership and scope rules", () => {
    const declared = Object.fromEntries(
      keys.map((k) => {
        const a: Access = ROUTES[k].access;
        if (a.public) return [k, "public"];
        if (!a.roles.includes("supplier")) return [k, "admin"];
        return [k, `${a.membership ?? "?"} ${a.tokens ? (a.scope ?? "?") : "session-only"}`];
      }),
    );
    expect(declared).toEqual(ISSUE_RULES);
  });

  it("names the missing scope in the 403, and the needed role", async () => {
    const post = await handlerFor("POST /api/v1/exports");
    const body = { dataset: "product_inventory", params: {}, format: "csv", notify: false };
    const scoped = await call(post, "/api/v1/exports", { method: "POST", token: tokenWithout["exports:write"], body });
    expect(scoped.status).toBe(403);
    expect(scoped.body.error.message).toBe('This API token lacks the scope "exports:write".');
    expect(scoped.body.error.details).toEqual({ missingScope: "exports:write" });
    const viewer = await call(post, "/api/v1/exports", { method: "POST", as: roseViewer, body });
    expect(viewer.body.error.message).toBe("This needs a member or owner of the supplier; your role is viewer.");
  });

  it("covers every route in the table", () => {
    expect(Object.keys(FIXTURES).sort()).toEqual([...keys].sort());
  });

  for (const key of keys) {
    it(`${key}: each caller gets the status its access implies`, async () => {
      const handler = await handlerFor(key);
      expect(handler.routeKey, "the route file wraps the handler with its own table entry").toBe(key);
      const access: Access = ROUTES[key].access;
      const fixture = FIXTURES[key];
      const [method, urlPath] = key.split(" ") as [string, string];
      const got: Record<string, number> = {};
      const want: Record<string, number> = {};
      for (const caller of CALLERS) {
        const prepared = (await fixture.prepare?.()) ?? {};
        const scope = access.public ? undefined : access.scope;
        const who = {
          supplier: { as: rose },
          member: { as: roseMember },
          viewer: { as: roseViewer },
          "other supplier": { as: tulip },
          admin: { as: admin },
          "API token": { token: roseToken },
          // A session-only route has no scope to leave out: any token will do (it gets 401).
          "token without the scope": { token: tokenWithout[scope ?? "exports:read"] },
          "viewer's token": { token: viewerToken },
          "signed out": {},
        }[caller];
        const concretePath = urlPath.replace(/\{(\w+)\}/g, (_, name: string) => prepared.params?.[name] ?? name);
        const res = await call(handler, concretePath, { method, params: prepared.params, body: prepared.body, headers: prepared.headers, ...who });
        got[caller] = res.status;
        want[caller] = expectedStatus(access, fixture, caller);
      }
      observed[key] = got;
      expect(got).toEqual(want);
    });
  }
});
