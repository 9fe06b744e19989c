/**
 * The /api/v1 route handlers, called directly with `Request`s against a whole
 * local backend in a temp folder. Callers are real users in the user store
 * with real next-auth session cookies (encrypted with the config's secret by
 * next-auth's own `encode`), so the wrapper's session resolution runs as in
 * production; only `getDeps()` is pointed at the test's backend.
 */
import { listDatasets } from "@/lib/datasets/catalog";
import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { encode } from "next-auth/jwt";
import type { AppDeps } from "@/lib/config";
import { claimsFor, SESSION_MAX_AGE_SECONDS } from "@/lib/auth";
import { MAX_JSON_BODY_BYTES } from "@/lib/api/handler";
import type { ExportRecord } from "@/lib/exports/model";
import type { UserRecord } from "@/lib/ports";
import { createUser } from "@/lib/users/users";
import { drain, makeLocalDeps, seededWarehouse } from "@/test/support/local-env";
import * as adminExportsRoute from "@/app/api/v1/admin/exports/route";
import * as adminStatsRoute from "@/app/api/v1/admin/stats/route";
import * as datasetsRoute from "@/app/api/v1/datasets/route";
import * as cancelRoute from "@/app/api/v1/exports/[id]/cancel/route";
import * as downloadRoute from "@/app/api/v1/exports/[id]/download/route";
import * as retryRoute from "@/app/api/v1/exports/[id]/retry/route";
import * as exportRoute from "@/app/api/v1/exports/[id]/route";
import * as exportsRoute from "@/app/api/v1/exports/route";
import * as filesRoute from "@/app/api/files/[...key]/route";

const state = vi.hoisted(() => ({ deps: undefined as AppDeps | undefined }));

vi.mock("@/lib/config", async (importOriginal) => {
  const actual = await importOriginal<typeof import("@/lib/config")>();
  return {
    ...actual,
    getDeps: () => {
      if (!state.deps) throw new Error("test deps are not set up");
      return state.deps;
    },
  };
});

const BASE = "http://localhost:3000";
const COOKIE = "next-auth.session-token";

type AnyRoute = (req: Request, ctx: { params: Promise<any> }) => Promise<Response>;

let warehouse: { dbPath: string; dir: string };
let deps: AppDeps & { dataDir: string };
let rose: UserRecord;
let tulip: UserRecord;
let lily: UserRecord;
let admin: UserRecord;

beforeAll(async () => {
  warehouse = await seededWarehouse(2_000);
  deps = await makeLocalDeps(warehouse.dbPath);
  state.deps = deps;
  const make = (email: string, role: "supplier" | "admin", supplierId?: string) =>
    createUser(deps.users, { email, password: "test-password-123", role, supplierId });
  [rose, tulip, lily, admin] = await Promise.all([
    make("rose@suppliers.test", "supplier", "sup_rose"),
    make("tulip@suppliers.test", "supplier", "sup_tulip"),
    make("lily@suppliers.test", "supplier", "sup_lily"),
    make("admin@acmeflowers.test", "admin"),
  ]);
});

afterAll(async () => {
  await deps?.close();
  if (deps) await fs.rm(deps.dataDir, { recursive: true, force: true });
  if (warehouse) await fs.rm(warehouse.dir, { recursive: true, force: true });
});

/** A session cookie as next-auth would set it after `user` signed in `ageSeconds` ago. */
async function sessionCookie(user: UserRecord, opts: { ageSeconds?: number; secret?: string } = {}): Promise<string> {
  const authTime = Math.floor(Date.now() / 1000) - (opts.ageSeconds ?? 0);
  const token = await encode({ token: claimsFor(user, authTime), secret: opts.secret ?? deps.config.authSecret, maxAge: SESSION_MAX_AGE_SECONDS });
  return `${COOKIE}=${token}`;
}

interface Call {
  method?: string;
  as?: UserRecord | null;
  cookie?: string;
  /** Bytes and strings are sent as they are; anything else as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  params?: Record<string, unknown>;
}

interface Result {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

async function call(route: AnyRoute, path: string, opts: Call = {}): Promise<Result> {
  const headers = new Headers(opts.headers);
  const cookie = opts.cookie ?? (opts.as ? await sessionCookie(opts.as) : undefined);
  if (cookie) headers.set("cookie", cookie);
  let body: string | Uint8Array<ArrayBuffer> | undefined;
  if (opts.body !== undefined) {
    body = typeof opts.body === "string" || opts.body instanceof Uint8Array ? (opts.body as string | Uint8Array<ArrayBuffer>) : JSON.stringify(opts.body);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  const res = await route(new Request(`${BASE}${path}`, { method: opts.method ?? "GET", headers, body }), {
    params: Promise.resolve(opts.params ?? {}),
  });
  const text = await res.text();
  let parsed: unknown = null;
  if (text && res.headers.get("content-type")?.includes("json")) parsed = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/**
 * A POST. Requests to /api/v1/exports get a fresh Idempotency-Key unless the
 * test sends one: without a key an identical request to one still active is
 * deduplicated (see partner-api.test.ts), and these tests want each request to be its own export.
 */
const post = (route: AnyRoute, path: string, opts: Call = {}) =>
  call(route, path, {
    ...opts,
    method: "POST",
    headers: path === "/api/v1/exports" ? { "idempotency-key": randomUUID(), ...opts.headers } : opts.headers,
  });

/** Requests an export through the API and returns it. */
async function requestAs(user: UserRecord, body: Record<string, unknown>): Promise<ExportRecord> {
  const res = await post(exportsRoute.POST, "/api/v1/exports", { as: user, body });
  expect(res.status, res.text).toBe(202);
  return res.body.export as ExportRecord;
}

const inventory = { dataset: "product_inventory", params: {}, format: "csv", notify: false };

function expectError(res: Result, status: number, code: string): void {
  expect(res.status, res.text).toBe(status);
  expect(res.body).toMatchObject({ error: { code, message: expect.any(String) } });
  expect(res.headers.get("cache-control")).toBe("no-store");
  expect(res.text).not.toMatch(/\bat .+\.(ts|js):\d+/); // no stack trace
}

describe("who may call", () => {
  const everyRoute: [string, string, AnyRoute, Record<string, string>?][] = [
    ["POST", "/api/v1/exports", exportsRoute.POST],
    ["GET", "/api/v1/exports", exportsRoute.GET],
    ["GET", "/api/v1/exports/x", exportRoute.GET, { id: "x" }],
    ["POST", "/api/v1/exports/x/cancel", cancelRoute.POST, { id: "x" }],
    ["POST", "/api/v1/exports/x/retry", retryRoute.POST, { id: "x" }],
    ["GET", "/api/v1/exports/x/download", downloadRoute.GET, { id: "x" }],
    ["GET", "/api/v1/datasets", datasetsRoute.GET],
    ["GET", "/api/v1/admin/exports", adminExportsRoute.GET],
    ["GET", "/api/v1/admin/stats", adminStatsRoute.GET],
  ];

  it.each(everyRoute)("%s %s is 401 when signed out", async (method, path, route, params) => {
    expectError(await call(route, path, { method, params }), 401, "unauthorized");
  });

  it("is 401 for a tampered cookie, a cookie signed with another secret and a session older than its maximum age", async () => {
    const good = await sessionCookie(rose);
    const tampered = good.slice(0, -4) + (good.endsWith("AAAA") ? "BBBB" : "AAAA");
    const otherSecret = await sessionCookie(rose, { secret: "another-secret-another-secret-another-secret" });
    const stale = await sessionCookie(rose, { ageSeconds: SESSION_MAX_AGE_SECONDS + 60 });
    for (const cookie of [tampered, otherSecret, stale]) expectError(await call(exportsRoute.GET, "/api/v1/exports", { cookie }), 401, "unauthorized");
    expect((await call(exportsRoute.GET, "/api/v1/exports", { cookie: good })).status).toBe(200);
  });

  it("is 401 for a bearer token it cannot verify, even next to a valid session cookie", async () => {
    const res = await call(exportsRoute.GET, "/api/v1/exports", { as: rose, headers: { authorization: "Bearer pep_unknown_token" } });
    expectError(res, 401, "unauthorized");
    expect(res.headers.get("www-authenticate")).toContain("invalid_token");
  });

  it("ignores a proxy's Basic credentials and uses the session", async () => {
    const res = await call(exportsRoute.GET, "/api/v1/exports", { as: rose, headers: { authorization: "Basic dXNlcjpwYXNz" } });
    expect(res.status, res.text).toBe(200);
  });

  it("is 403 for a supplier on the admin routes and on retry", async () => {
    const exp = await requestAs(rose, inventory);
    expectError(await call(adminExportsRoute.GET, "/api/v1/admin/exports", { as: rose }), 403, "forbidden");
    expectError(await call(adminStatsRoute.GET, "/api/v1/admin/stats", { as: rose }), 403, "forbidden");
    expectError(await post(retryRoute.POST, `/api/v1/exports/${exp.id}/retry`, { as: rose, params: { id: exp.id } }), 403, "forbidden");
  });

  it("refuses a cookie-authenticated write from another site", async () => {
    const res = await post(exportsRoute.POST, "/api/v1/exports", { as: rose, body: inventory, headers: { origin: "https://evil.test" } });
    expectError(res, 403, "forbidden");
    const sameSite = await post(exportsRoute.POST, "/api/v1/exports", { as: rose, body: inventory, headers: { origin: BASE } });
    expect(sameSite.status, sameSite.text).toBe(202);
  });

  it("takes the host the browser addressed as this site: a page at 127.0.0.1 posts while PUBLIC_URL says localhost (dev mode)", async () => {
    const body = { ...inventory, params: { skuPrefix: "FLOWER1" } };
    const res = await post(exportsRoute.POST, "/api/v1/exports", { as: rose, body, headers: { origin: "http://127.0.0.1:3000", host: "127.0.0.1:3000" } });
    expect(res.status, res.text).toBe(202);
    // Another site's page sends its own Origin to our Host: still refused, as is a host that only looks alike.
    expectError(await post(exportsRoute.POST, "/api/v1/exports", { as: rose, body, headers: { origin: "https://evil.test", host: "127.0.0.1:3000" } }), 403, "forbidden");
    expectError(await post(exportsRoute.POST, "/api/v1/exports", { as: rose, body, headers: { origin: "http://127.0.0.1:3001", host: "127.0.0.1:3000" } }), 403, "forbidden");
    expectError(await post(exportsRoute.POST, "/api/v1/exports", { as: rose, body, headers: { origin: "null", host: "127.0.0.1:3000" } }), 403, "forbidden");
  });
});

describe("POST /api/v1/exports", () => {
  it("queues a valid request and answers 202 with the export, scoped to the caller's supplier", async () => {
    const depth = await deps.queue.depth();
    const res = await post(exportsRoute.POST, "/api/v1/exports", {
      as: rose,
      body: { dataset: "product_inventory", params: { lowStockOnly: true }, format: "csv", bom: true, notify: true },
    });
    expect(res.status, res.text).toBe(202);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.body.export).toMatchObject({
      supplierId: "sup_rose",
      requestedBy: rose.id,
      requesterEmail: "rose@suppliers.test",
      dataset: "product_inventory",
      params: { lowStockOnly: true },
      status: "queued",
      bom: true,
      notify: true,
    });
    expect((await deps.jobs.getExport(res.body.export.id))?.status).toBe("queued");
    expect(await deps.queue.depth()).toBe(depth + 1);
  });

  it("lets an admin pick the supplier, and refuses a supplier who names another", async () => {
    const forTulip = await requestAs(admin, { ...inventory, supplierId: "sup_tulip" });
    expect(forTulip.supplierId).toBe("sup_tulip");
    expectError(await post(exportsRoute.POST, "/api/v1/exports", { as: rose, body: { ...inventory, supplierId: "sup_tulip" } }), 403, "forbidden");
  });

  it("answers 400 for malformed JSON, a wrong content type, an empty body and bytes that are not UTF-8", async () => {
    const cases: [Call, RegExp][] = [
      [{ body: '{"dataset": "product_inventory",' }, /not valid JSON/],
      [{ body: JSON.stringify(inventory), headers: { "content-type": "text/plain" } }, /Content-Type: application\/json/],
      [{ body: "dataset=product_inventory", headers: { "content-type": "application/x-www-form-urlencoded" } }, /Content-Type: application\/json/],
      [{ body: JSON.stringify(inventory), headers: { "content-type": "application/jsonp" } }, /Content-Type: application\/json/],
      [{ body: "" }, /empty/],
      [{ body: new Uint8Array([0x7b, 0xff, 0x7d]) }, /UTF-8/],
    ];
    for (const [opts, message] of cases) {
      const res = await post(exportsRoute.POST, "/api/v1/exports", { as: rose, ...opts });
      expectError(res, 400, "bad_request");
      expect(res.body.error.message).toMatch(message);
    }
    // A JSON media type with parameters or a +json suffix is JSON.
    for (const type of ["application/json; charset=utf-8", "application/merge-patch+json"]) {
      const res = await post(exportsRoute.POST, "/api/v1/exports", { as: rose, body: JSON.stringify(inventory), headers: { "content-type": type } });
      expect(res.status, `${type} -> ${res.text}`).toBe(202);
    }
  });

  it("answers 413 for a body over 64 KB, declared or not", async () => {
    const big = JSON.stringify({ ...inventory, params: { skus: ["X".repeat(MAX_JSON_BODY_BYTES)] } });
    expect(big.length).toBeGreaterThan(MAX_JSON_BODY_BYTES);
    expectError(await post(exportsRoute.POST, "/api/v1/exports", { as: rose, body: big }), 413, "payload_too_large");
    expectError(
      await post(exportsRoute.POST, "/api/v1/exports", { as: rose, body: "{}", headers: { "content-length": String(65 * 1024) } }),
      413,
      "payload_too_large",
    );
    // Just under the limit is read (and then refused for what it says, not for its size).
    const justUnder = JSON.stringify({ ...inventory, padding: "x".repeat(MAX_JSON_BODY_BYTES - 200) });
    expect(justUnder.length).toBeLessThanOrEqual(MAX_JSON_BODY_BYTES);
    expectError(await post(exportsRoute.POST, "/api/v1/exports", { as: rose, body: justUnder }), 400, "validation_failed");
  });

  it("answers 400 for an unknown dataset", async () => {
    const res = await post(exportsRoute.POST, "/api/v1/exports", { as: rose, body: { ...inventory, dataset: "supplier_secrets" } });
    expectError(res, 400, "bad_request");
    expect(res.body.error.details).toEqual([expect.objectContaining({ path: "dataset" })]);
  });

  it("answers 400 naming an unknown filter, an unknown field and a bad filter value", async () => {
    const unknownFilter = await post(exportsRoute.POST, "/api/v1/exports", { as: rose, body: { ...inventory, params: { colour: "red" } } });
    expectError(unknownFilter, 400, "validation_failed");
    expect(JSON.stringify(unknownFilter.body.error.details)).toContain("colour");
    expect(unknownFilter.body.error.details[0].path).toMatch(/^params/);

    const unknownField = await post(exportsRoute.POST, "/api/v1/exports", { as: rose, body: { ...inventory, priority: "high" } });
    expectError(unknownField, 400, "validation_failed");
    expect(JSON.stringify(unknownField.body.error.details)).toContain("priority");

    const badValue = await post(exportsRoute.POST, "/api/v1/exports", { as: rose, body: { ...inventory, params: { skus: ["'; DROP TABLE x; --"] } } });
    expectError(badValue, 400, "validation_failed");
    expect(badValue.body.error.details[0].path).toBe("params.skus.0");
  });

  it("never answers 500 to bad input", async () => {
    const bodies: unknown[] = [
      "null",
      "[]",
      '"text"',
      "12",
      "true",
      { dataset: null },
      { dataset: ["product_inventory"] },
      { dataset: "product_inventory", params: [] },
      { dataset: "product_inventory", params: "lowStockOnly" },
      { dataset: "product_inventory", params: { lowStockOnly: "yes" } },
      { dataset: "product_inventory", params: { skus: [] } },
      { dataset: "product_inventory", params: { skus: "A1" } },
      { dataset: "product_inventory", params: { updatedSince: "2025-02-30" } },
      { dataset: "product_inventory", format: "xls" },
      { dataset: "product_inventory", format: "parquet", bom: true },
      { dataset: "product_inventory", notify: "yes" },
      { dataset: "product_inventory", supplierId: "../../etc" },
      { dataset: "__proto__" },
      { dataset: "toString" },
      '{"__proto__": {"admin": true}, "dataset": "product_inventory"}',
      { dataset: "x".repeat(10_000) },
    ];
    for (const body of bodies) {
      const res = await post(exportsRoute.POST, "/api/v1/exports", { as: rose, body });
      expect(res.status, `${JSON.stringify(body).slice(0, 80)} -> ${res.text}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${JSON.stringify(body).slice(0, 80)} -> ${res.text}`).toBeLessThan(500);
      expect(res.body.error.code).toMatch(/^(bad_request|validation_failed|forbidden)$/);
    }
    const queries = ["status=done", "limit=0", "limit=1000", "limit=abc", "from=yesterday", "to=2025-13-01", "cursor=%00%00", "cursor=bm90LWEtY3Vyc29y", "dataset=Bad-Name"];
    for (const q of queries) {
      const res = await call(exportsRoute.GET, `/api/v1/exports?${q}`, { as: rose });
      expect(res.status, `${q} -> ${res.text}`).toBe(400);
    }
  });

  it("answers a generic 500, logging the cause and showing none of it, when something unexpected breaks", async () => {
    const boom = new Error("disk on fire at /var/secret/jobs.sqlite");
    const listSpy = vi.spyOn(deps.jobs, "listExports").mockRejectedValueOnce(boom);
    const logSpy = vi.spyOn(deps.log, "error");
    try {
      const res = await call(exportsRoute.GET, "/api/v1/exports", { as: rose });
      expectError(res, 500, "internal");
      expect(res.body.error.message).toBe("Something went wrong on our side. Please try again.");
      expect(res.text).not.toContain("disk on fire");
      expect(logSpy).toHaveBeenCalledWith(expect.objectContaining({ err: boom }), expect.any(String));
    } finally {
      listSpy.mockRestore();
      logSpy.mockRestore();
    }
  });
});

describe("reading, cancelling and downloading one export", () => {
  it("GET /api/v1/exports/{id} returns the export and its steps to its supplier and to admins", async () => {
    const exp = await requestAs(rose, inventory);
    for (const user of [rose, admin]) {
      const res = await call(exportRoute.GET, `/api/v1/exports/${exp.id}`, { as: user, params: { id: exp.id } });
      expect(res.status, res.text).toBe(200);
      expect(res.body.export.id).toBe(exp.id);
      expect(res.body.steps.map((s: { step: string }) => s.step)).toEqual(["requested", "queued"]);
    }
  });

  it("is 404 for another supplier's export on read, download and cancel alike, and leaves it untouched", async () => {
    const exp = await requestAs(rose, inventory);
    const p = { id: exp.id };
    const asTulip = [
      await call(exportRoute.GET, `/api/v1/exports/${exp.id}`, { as: tulip, params: p }),
      await call(downloadRoute.GET, `/api/v1/exports/${exp.id}/download`, { as: tulip, params: p }),
      await post(cancelRoute.POST, `/api/v1/exports/${exp.id}/cancel`, { as: tulip, params: p }),
    ];
    for (const res of asTulip) expectError(res, 404, "not_found");
    // The same answer as for an id that does not exist at all, so ids cannot be probed.
    const ghost = "exp_0000000000000000000000";
    const missing = await call(exportRoute.GET, `/api/v1/exports/${ghost}`, { as: tulip, params: { id: ghost } });
    expect(missing.body).toEqual(asTulip[0].body);
    expectError(await call(exportRoute.GET, "/api/v1/exports/..%2F..%2Fetc", { as: tulip, params: { id: "../../etc" } }), 404, "not_found");
    expect((await deps.jobs.getExport(exp.id))?.status).toBe("queued");
  });

  it("cancels a queued export once, then answers 409", async () => {
    const exp = await requestAs(rose, inventory);
    const first = await post(cancelRoute.POST, `/api/v1/exports/${exp.id}/cancel`, { as: rose, params: { id: exp.id } });
    expect(first.status, first.text).toBe(200);
    expect(first.body.export).toMatchObject({ id: exp.id, status: "cancelled" });
    expectError(await post(cancelRoute.POST, `/api/v1/exports/${exp.id}/cancel`, { as: rose, params: { id: exp.id } }), 409, "conflict");
  });

  it("answers 409 to a download while the export is not ready", async () => {
    const exp = await requestAs(rose, inventory);
    expectError(await call(downloadRoute.GET, `/api/v1/exports/${exp.id}/download`, { as: rose, params: { id: exp.id } }), 409, "conflict");
  });

  it("redirects the download of a ready export to a fresh signed URL that the file route serves, and refuses a tampered one", async () => {
    const exp = await requestAs(rose, { ...inventory, params: { lowStockOnly: true } });
    const done = await drain(deps, exp.id);
    expect(done.status).toBe("ready");

    const res = await call(downloadRoute.GET, `/api/v1/exports/${exp.id}/download`, { as: rose, params: { id: exp.id } });
    expect(res.status, res.text).toBe(302);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const location = new URL(res.headers.get("location")!);
    expect(`${location.origin}${location.pathname}`.startsWith(`${BASE}/api/files/`)).toBe(true);
    expect(location.searchParams.get("sig")).toMatch(/^[0-9a-f]{64}$/);

    const key = location.pathname.slice("/api/files/".length).split("/").map(decodeURIComponent);
    const file = await filesRoute.GET(new Request(location), { params: Promise.resolve({ key }) });
    expect(file.status).toBe(200);
    const bytes = Buffer.from(await file.arrayBuffer());
    expect(bytes.length).toBe(done.archiveBytes);
    expect(bytes.subarray(0, 2).toString("latin1")).toBe("PK");

    const forged = new URL(location);
    const sig = forged.searchParams.get("sig")!;
    forged.searchParams.set("sig", (sig[0] === "0" ? "1" : "0") + sig.slice(1));
    expect((await filesRoute.GET(new Request(forged), { params: Promise.resolve({ key }) })).status).toBe(403);

    // Every call signs afresh: the signature covers a new expiry, so a bookmark never goes stale.
    const again = await call(downloadRoute.GET, `/api/v1/exports/${exp.id}/download`, { as: admin, params: { id: exp.id } });
    expect(again.status).toBe(302);
  });

  it("lets an admin retry a failed export, which then runs to ready", async () => {
    const exp = await requestAs(rose, inventory);
    // Stand in for a worker that gave up on it.
    const failedAt = new Date().toISOString();
    await deps.jobs.transition(exp.id, { status: ["queued"] }, { status: "failed", finishedAt: failedAt, updatedAt: failedAt, errorCode: "warehouse_error", errorMessage: "boom" });
    expectError(await post(retryRoute.POST, `/api/v1/exports/${exp.id}/retry`, { as: rose, params: { id: exp.id } }), 403, "forbidden");

    const res = await post(retryRoute.POST, `/api/v1/exports/${exp.id}/retry`, { as: admin, params: { id: exp.id } });
    expect(res.status, res.text).toBe(200);
    expect(res.body.export).toMatchObject({ id: exp.id, status: "queued", errorCode: null });
    expect((await drain(deps, exp.id)).status).toBe("ready");
    expectError(await post(retryRoute.POST, `/api/v1/exports/${exp.id}/retry`, { as: admin, params: { id: exp.id } }), 409, "conflict");
  });
});

describe("lists", () => {
  let lilys: ExportRecord[];

  beforeAll(async () => {
    lilys = [];
    for (const dataset of ["product_inventory", "product_detail", "product_inventory", "customer_reviews", "product_inventory"]) {
      lilys.push(await requestAs(lily, { dataset, params: {}, notify: false }));
    }
    const cancelled = await post(cancelRoute.POST, `/api/v1/exports/${lilys[1].id}/cancel`, { as: lily, params: { id: lilys[1].id } });
    expect(cancelled.status).toBe(200);
  });

  it("pages through the caller's own history, newest first, with a cursor", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const qs: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : "?limit=2";
      const res = await call(exportsRoute.GET, `/api/v1/exports${qs}`, { as: lily });
      expect(res.status, res.text).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((e: ExportRecord) => e.id));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(lilys.map((e) => e.id).reverse());
  });

  it("filters by dataset, status and date range", async () => {
    const byDataset = await call(exportsRoute.GET, "/api/v1/exports?dataset=product_inventory", { as: lily });
    expect(byDataset.body.items.map((e: ExportRecord) => e.id)).toEqual([lilys[4].id, lilys[2].id, lilys[0].id]);
    const byStatus = await call(exportsRoute.GET, "/api/v1/exports?status=cancelled", { as: lily });
    expect(byStatus.body.items.map((e: ExportRecord) => e.id)).toEqual([lilys[1].id]);
    const [firstDay, lastDay] = [lilys[0].createdAt.slice(0, 10), lilys[4].createdAt.slice(0, 10)];
    const inRange = await call(exportsRoute.GET, `/api/v1/exports?from=${firstDay}&to=${lastDay}`, { as: lily });
    expect(inRange.body.items).toHaveLength(5);
    const before = await call(exportsRoute.GET, "/api/v1/exports?to=2000-01-01", { as: lily });
    expect(before.body).toEqual({ items: [], nextCursor: null });
  });

  it("answers 400 naming an unknown or repeated filter, and refuses a supplier filter from a supplier", async () => {
    const unknown = await call(exportsRoute.GET, "/api/v1/exports?colour=red", { as: lily });
    expectError(unknown, 400, "validation_failed");
    expect(JSON.stringify(unknown.body.error.details)).toContain("colour");
    const repeated = await call(exportsRoute.GET, "/api/v1/exports?status=queued&status=ready", { as: lily });
    expectError(repeated, 400, "validation_failed");
    expect(repeated.body.error.details).toEqual([expect.objectContaining({ path: "status" })]);
    expectError(await call(exportsRoute.GET, "/api/v1/exports?supplierId=sup_rose", { as: lily }), 400, "validation_failed");
  });

  it("never shows a supplier another supplier's exports", async () => {
    const res = await call(exportsRoute.GET, "/api/v1/exports?limit=100", { as: tulip });
    expect(res.body.items.every((e: ExportRecord) => e.supplierId === "sup_tulip")).toBe(true);
    expect(res.body.items.some((e: ExportRecord) => lilys.some((l) => l.id === e.id))).toBe(false);
  });

  it("shows admins every supplier's exports, on the admin list and on the history route, filterable by supplier", async () => {
    const all = await call(adminExportsRoute.GET, "/api/v1/admin/exports?limit=100", { as: admin });
    expect(all.status, all.text).toBe(200);
    const suppliers = new Set(all.body.items.map((e: ExportRecord) => e.supplierId));
    expect(suppliers).toEqual(new Set(["sup_rose", "sup_tulip", "sup_lily"]));

    const history = await call(exportsRoute.GET, "/api/v1/exports?limit=100", { as: admin });
    expect(history.body.items.map((e: ExportRecord) => e.id)).toEqual(all.body.items.map((e: ExportRecord) => e.id));

    const onlyLily = await call(adminExportsRoute.GET, "/api/v1/admin/exports?supplierId=sup_lily&limit=100", { as: admin });
    expect(onlyLily.body.items.map((e: ExportRecord) => e.id)).toEqual(lilys.map((e) => e.id).reverse());
  });

  it("gives admins counts by status, durations and exports per day", async () => {
    const res = await call(adminStatsRoute.GET, "/api/v1/admin/stats?supplierId=sup_lily", { as: admin });
    expect(res.status, res.text).toBe(200);
    expect(res.body.countsByStatus).toMatchObject({ queued: 4, cancelled: 1, ready: 0 });
    expect(res.body.durationSeconds).toEqual({ p50: null, p95: null });
    expect(res.body.perDay).toEqual([{ day: lilys[0].createdAt.slice(0, 10), count: 5 }]);
    expect(res.body).toMatchObject({ scanned: 5, truncated: false });
    expectError(await call(adminStatsRoute.GET, "/api/v1/admin/stats?limit=5", { as: admin }), 400, "validation_failed");
  });
});

describe("GET /api/v1/datasets", () => {
  it("lists each dataset with its columns and a JSON Schema of its filters", async () => {
    const res = await call(datasetsRoute.GET, "/api/v1/datasets", { as: tulip });
    expect(res.status, res.text).toBe(200);
    const ids = res.body.datasets.map((d: { id: string }) => d.id);
    expect(ids).toEqual(expect.arrayContaining(["product_inventory", "product_detail", "customer_reviews"]));
    const inv = res.body.datasets.find((d: { id: string }) => d.id === "product_inventory");
    expect(inv.title).toEqual(expect.any(String));
    expect(inv.columns[0]).toEqual({ name: expect.any(String), type: expect.any(String), description: expect.any(String) });
    expect(inv.params).toMatchObject({ type: "object", additionalProperties: false, properties: { skus: { type: "array" } } });
  });

  it("names the column incremental schedules window on, from the catalog's change cursor (null where there is none)", async () => {
    const res = await call(datasetsRoute.GET, "/api/v1/datasets", { as: tulip });
    const change = Object.fromEntries(res.body.datasets.map((d: { id: string; changeColumn: string | null }) => [d.id, d.changeColumn]));
    for (const d of listDatasets()) expect(change[d.id], d.id).toBe(d.changeCursor?.column ?? null);
    expect(change.product_inventory).toEqual(expect.any(String));
    expect(change.product_detail).toBeNull();
  });
});
