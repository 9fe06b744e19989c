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
 * (a token acts as role "supplier"); another supplier on a resource the first
 * owns → 404 (never someone else's data); otherwise the success status.
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
import type { UserRecord } from "@/lib/ports";
import { createApiToken } from "@/lib/tokens/api-tokens";
import { createUser } from "@/lib/users/users";
import { createWebhookEndpoint } from "@/lib/webhooks/endpoints";
import { createDestination, createSchedule, withSchedules } from "@/lib/schedules/service";
import { apiClient } from "@/test/support/api-client";
import { makeLocalDeps } from "@/test/support/local-env";

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

type CallerName = "signed out" | "supplier" | "other supplier" | "admin" | "API token";
const CALLERS: CallerName[] = ["signed out", "supplier", "other supplier", "admin", "API token"];

let deps: AppDeps & { dataDir: string };
let rose: UserRecord;
let tulip: UserRecord;
let admin: UserRecord;
let roseToken: string;

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
  "GET /api/v1/tokens": { ok: 200 },
  "POST /api/v1/tokens": { ok: 201, prepare: async () => ({ body: { name: "route matrix" } }) },
  "DELETE /api/v1/tokens/{id}": {
    ok: 200,
    owned: true,
    prepare: async () => ({ params: { id: (await createApiToken(deps, roseActor(), { name: "to revoke" })).token.id } }),
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
};

/** The status the declaration implies for this caller. */
function expectedStatus(access: Access, fixture: Fixture, caller: CallerName): number {
  if (access.public) return fixture.ok;
  if (caller === "signed out") return 401;
  if (caller === "API token" && !access.tokens) return 401;
  const role: Role = caller === "admin" ? "admin" : "supplier";
  if (!access.roles.includes(role)) return 403;
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
  // The warehouse is opened lazily and no route here runs a query (exports stay queued).
  deps = await makeLocalDeps("/nonexistent/warehouse.duckdb");
  state.deps = deps;
  const make = (email: string, role: "supplier" | "admin", supplierId?: string) =>
    createUser(deps.users, { email, password: "test-password-123", role, supplierId });
  [rose, tulip, admin] = await Promise.all([
    make("rose@suppliers.test", "supplier", "sup_rose"),
    make("tulip@suppliers.test", "supplier", "sup_tulip"),
    make("admin@acmeflowers.test", "admin"),
  ]);
  roseToken = (await createApiToken(deps, roseActor(), { name: "route matrix caller" })).secret;
});

afterAll(async () => {
  await deps?.close();
  if (deps) await fs.rm(deps.dataDir, { recursive: true, force: true });
});

describe("route access matrix", () => {
  const keys = Object.keys(ROUTES) as RouteKey[];

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
        const who = { supplier: { as: rose }, "other supplier": { as: tulip }, admin: { as: admin }, "API token": { token: roseToken }, "signed out": {} }[caller];
        const concretePath = urlPath.replace(/\{(\w+)\}/g, (_, name: string) => prepared.params?.[name] ?? name);
        const res = await call(handler, concretePath, { method, params: prepared.params, body: prepared.body, headers: prepared.headers, ...who });
        got[caller] = res.status;
        want[caller] = expectedStatus(access, fixture, caller);
      }
      expect(got).toEqual(want);
    });
  }
});
