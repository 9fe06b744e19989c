/**
 * The route matrix: every /api/v1 route file against every kind of caller
 * (owner, member, viewer and admin sessions; API tokens with and without the
 * route's scope; a token whose creator is only a viewer), checked through the
 * real route modules and wrapper. The expectations come from
 * lib/api/access.ts, and the test fails when a route file has no entry there.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ROUTE_ACCESS, hasMembership } from "@/lib/api/access";
import type { AppDeps } from "@/lib/config";
import type { Actor } from "@/lib/core/actor";
import type { Membership, UserRecord } from "@/lib/ports";
import { createApiToken } from "@/lib/tokens/api-tokens";
import { TOKEN_SCOPES, type TokenScope } from "@/lib/tokens/scopes";
import { createUser } from "@/lib/users/users";
import { apiClient, type AnyRoute } from "@/test/helpers/api-client";
import { makeLocalDeps } from "@/test/helpers/local-env";

const state = vi.hoisted(() => ({ deps: undefined as AppDeps | undefined }));
vi.mock("@/lib/config", async (importOriginal) => ({
  ...(await importOriginal<typeof import("@/lib/config")>()),
  getDeps: () => state.deps!,
}));

const ROOT = path.resolve(import.meta.dirname, "../../../..");
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/** "METHOD /api/v1/path/{param}" -> the route module's file. */
async function routeFiles(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const entries = await fs.readdir(path.join(ROOT, "app/api/v1"), { recursive: true });
  for (const entry of entries.filter((e) => path.basename(e) === "route.ts")) {
    const file = path.join(ROOT, "app/api/v1", entry);
    const source = await fs.readFile(file, "utf8");
    const urlPath = "/api/v1/" + path.dirname(entry).split(path.sep).join("/").replace(/\[(\w+)\]/g, "{$1}");
    for (const m of METHODS) if (new RegExp(`export (const|async function) ${m}\\b`).test(source)) out.set(`${m} ${urlPath.replace(/\/\.$/, "")}`, file);
  }
  return out;
}

let deps: AppDeps & { dataDir: string };
const client = apiClient(() => deps.config.authSecret);
const people: Record<Membership | "admin", UserRecord> = {} as never;
/** A token per scope made by the owner, and one with every scope made by a viewer. */
const tokens: Record<string, string> = {};

beforeAll(async () => {
  deps = await makeLocalDeps("/nonexistent/warehouse.duckdb");
  state.deps = deps;
  for (const m of ["owner", "member", "viewer"] as const) {
    people[m] = await createUser(deps.users, { email: `${m}@rose.test`, password: "test-password-123", role: "supplier", supplierId: "sup_rose", membership: m });
  }
  people.admin = await createUser(deps.users, { email: "admin@acmeflowers.test", password: "test-password-123", role: "admin" });
  const asActor = (u: UserRecord): Actor => ({ userId: u.id, email: u.email, role: "supplier", supplierId: u.supplierId, membership: u.membership ?? "viewer" });
  for (const scope of TOKEN_SCOPES) tokens[scope] = (await createApiToken(deps, asActor(people.owner), { name: scope, scopes: [scope] })).secret;
  tokens.viewerAll = (await createApiToken(deps, asActor(people.viewer), { name: "all", scopes: [...TOKEN_SCOPES] })).secret;
});

afterAll(async () => {
  await deps.close();
  await fs.rm(deps.dataDir, { recursive: true, force: true });
});

const ID = "xyz_00000000000000000000000000";

async function callRoute(key: string, file: string, who: { as?: UserRecord; token?: string }): Promise<number> {
  const [method, pattern] = key.split(" ") as [string, string];
  const mod = (await import(file)) as Record<string, AnyRoute>;
  const urlPath = pattern.replace(/\{(\w+)\}/g, ID);
  const params = Object.fromEntries([...pattern.matchAll(/\{(\w+)\}/g)].map((m) => [m[1]!, ID]));
  const body = method === "GET" || method === "DELETE" ? undefined : {};
  const res = await client.call(mod[method]!, urlPath, { method, ...who, body, params });
  return res.status;
}

/** The route matrix as the table declares it, printed in the report: route -> caller -> allowed. */
const matrix: Record<string, Record<string, "allow" | "deny">> = {};

/**
 * The rules, written out independently of the table: owners manage
 * members, tokens, webhooks (and see the audit log); members request and
 * cancel exports; viewers read and download only. A change to the table that
 * breaks these fails here.
 */
const EXPECTED: Record<string, string> = {
  "GET /api/v1/datasets": "viewer exports:read",
  "GET /api/v1/exports": "viewer exports:read",
  "POST /api/v1/exports": "member exports:write",
  "GET /api/v1/exports/{id}": "viewer exports:read",
  "GET /api/v1/exports/{id}/download": "viewer exports:read",
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
  "GET /api/v1/admin/suppliers": "admin",
  "POST /api/v1/admin/suppliers": "admin",
  "PATCH /api/v1/admin/suppliers/{id}": "admin",
  "POST /api/v1/admin/suppliers/{id}/invitations": "admin",
  "GET /api/v1/admin/users": "admin",
  "PATCH /api/v1/admin/users/{id}": "admin",
};

describe("route access matrix", () => {
  it("declares exactly the issue's rules", () => {
    const declared = Object.fromEntries(
      Object.entries(ROUTE_ACCESS).map(([k, a]) => [k, a.adminOnly ? "admin" : `${a.membership} ${a.scope ?? "session-only"}`]),
    );
    expect(declared).toEqual(EXPECTED);
  });

  it("has an entry in ROUTE_ACCESS for every route file, and no entry without a route", async () => {
    const files = await routeFiles();
    const undeclared = [...files.keys()].filter((k) => !(k in ROUTE_ACCESS) && k !== "GET /api/v1/openapi.json");
    expect(undeclared).toEqual([]);
    expect(Object.keys(ROUTE_ACCESS).filter((k) => !files.has(k))).toEqual([]);
  });

  it("lets each membership in exactly where the table says, on the server, whatever the handler does", async () => {
    const files = await routeFiles();
    for (const [key, access] of Object.entries(ROUTE_ACCESS)) {
      const file = files.get(key)!;
      for (const m of ["owner", "member", "viewer"] as const) {
        const status = await callRoute(key, file, { as: people[m] });
        const allowed = !access.adminOnly && hasMembership(m, access.membership);
        (matrix[key] ??= {})[m] = allowed ? "allow" : "deny";
        if (allowed) expect([401, 403], `${m} ${key} -> ${status}`).not.toContain(status);
        else expect(status, `${m} ${key}`).toBe(403);
      }
      if (access.adminOnly) {
        const status = await callRoute(key, file, { as: people.admin });
        matrix[key]!.admin = "allow";
        expect([401, 403], `admin ${key} -> ${status}`).not.toContain(status);
      }
    }
  });

  it("lets a token in only with the route's scope, and never beyond its creator's membership", async () => {
    const files = await routeFiles();
    for (const [key, access] of Object.entries(ROUTE_ACCESS)) {
      const file = files.get(key)!;
      for (const scope of TOKEN_SCOPES) {
        const status = await callRoute(key, file, { token: tokens[scope] });
        const allowed = !access.adminOnly && access.scope === scope;
        matrix[key]![`token ${scope}`] = allowed ? "allow" : "deny";
        if (allowed) expect([401, 403], `token ${scope} ${key} -> ${status}`).not.toContain(status);
        else expect([401, 403], `token ${scope} ${key}`).toContain(status);
      }
      const status = await callRoute(key, file, { token: tokens.viewerAll });
      const allowed = !access.adminOnly && access.scope !== undefined && hasMembership("viewer", access.membership);
      matrix[key]!["viewer's token (all scopes)"] = allowed ? "allow" : "deny";
      if (allowed) expect([401, 403], `viewer token ${key} -> ${status}`).not.toContain(status);
      else expect([401, 403], `viewer token ${key}`).toContain(status);
    }
    if (process.env.ROUTE_MATRIX_OUT) await fs.writeFile(process.env.ROUTE_MATRIX_OUT, JSON.stringify(matrix, null, 1));
  });

  it("names the missing scope in the 403", async () => {
    const mod = (await import(path.join(ROOT, "app/api/v1/exports/route.ts"))) as Record<string, AnyRoute>;
    const res = await client.call(mod.POST!, "/api/v1/exports", { method: "POST", token: tokens["exports:read"], body: {} });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toBe('This API token lacks the scope "exports:write".');
    expect(res.body.error.details).toEqual({ missingScope: "exports:write" });
  });

  it("tells a viewer what role the route needs", async () => {
    const mod = (await import(path.join(ROOT, "app/api/v1/exports/route.ts"))) as Record<string, AnyRoute>;
    const res = await client.call(mod.POST!, "/api/v1/exports", { method: "POST", as: people.viewer, body: {} });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toBe("This needs a member or owner of the supplier; your role is viewer.");
  });
});

// Keep TokenScope referenced for readers: the matrix columns are exactly these scopes.
export type _Scopes = TokenScope;
