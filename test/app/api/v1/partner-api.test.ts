/**
 * The partner API (issue 5) through the real route handlers on a whole local
 * backend: API tokens, supplier isolation of tokens, the request rate limit
 * and the active-exports limit, Idempotency-Key and deduplication of
 * identical requests (including a 20-request race).
 */
import fs from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { AppDeps } from "@/lib/config";
import type { ExportRecord } from "@/lib/exports/model";
import type { UserRecord } from "@/lib/ports";
import { createUser } from "@/lib/users/users";
import { makeLocalDeps, seededWarehouse } from "@/test/support/local-env";
import { apiClient, type Result } from "@/test/support/api-client";
import * as adminExportsRoute from "@/app/api/v1/admin/exports/route";
import * as datasetsRoute from "@/app/api/v1/datasets/route";
import * as cancelRoute from "@/app/api/v1/exports/[id]/cancel/route";
import * as downloadRoute from "@/app/api/v1/exports/[id]/download/route";
import * as retryRoute from "@/app/api/v1/exports/[id]/retry/route";
import * as exportRoute from "@/app/api/v1/exports/[id]/route";
import * as exportsRoute from "@/app/api/v1/exports/route";
import * as tokenRoute from "@/app/api/v1/tokens/[id]/route";
import * as tokensRoute from "@/app/api/v1/tokens/route";
import * as webhookRoute from "@/app/api/v1/webhooks/[id]/route";
import * as webhookDeliveriesRoute from "@/app/api/v1/webhooks/[id]/deliveries/route";
import * as webhooksRoute from "@/app/api/v1/webhooks/route";

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

const { call } = apiClient(() => state.deps!.config.authSecret);

interface Env {
  deps: AppDeps & { dataDir: string };
  rose: UserRecord;
  tulip: UserRecord;
  admin: UserRecord;
}

let warehouse: { dbPath: string; dir: string };
const envs: Env[] = [];

/** A fresh backend with its own users and the given settings, made current for the route handlers. */
async function useEnv(env: Record<string, string> = {}): Promise<Env> {
  const deps = await makeLocalDeps(warehouse.dbPath, env);
  const make = (email: string, role: "supplier" | "admin", supplierId?: string) =>
    createUser(deps.users, { email, password: "test-password-123", role, supplierId });
  const [rose, tulip, admin] = await Promise.all([
    make("rose@suppliers.test", "supplier", "sup_rose"),
    make("tulip@suppliers.test", "supplier", "sup_tulip"),
    make("admin@acmeflowers.test", "admin"),
  ]);
  const e = { deps, rose, tulip, admin };
  envs.push(e);
  state.deps = deps;
  return e;
}

beforeAll(async () => {
  warehouse = await seededWarehouse(500);
});

afterAll(async () => {
  for (const e of envs) {
    await e.deps.close();
    await fs.rm(e.deps.dataDir, { recursive: true, force: true });
  }
  if (warehouse) await fs.rm(warehouse.dir, { recursive: true, force: true });
});

const inventory = { dataset: "product_inventory", params: {}, format: "csv", notify: false };

function expectError(res: Result, status: number, code: string): void {
  expect(res.status, res.text).toBe(status);
  expect(res.body).toMatchObject({ error: { code, message: expect.any(String) } });
}

async function createToken(user: UserRecord, name = "ERP sync"): Promise<{ id: string; secret: string }> {
  const res = await call(tokensRoute.POST, "/api/v1/tokens", { method: "POST", as: user, body: { name } });
  expect(res.status, res.text).toBe(201);
  return { id: res.body.token.id, secret: res.body.secret };
}

describe("API tokens", () => {
  let env: Env;
  beforeAll(async () => {
    env = await useEnv();
  });

  it("lives through create (secret shown once), use, list with last use, revoke and 401", async () => {
    state.deps = env.deps;
    const created = await call(tokensRoute.POST, "/api/v1/tokens", { method: "POST", as: env.rose, body: { name: "  ERP sync " } });
    expect(created.status, created.text).toBe(201);
    const { token, secret } = created.body;
    expect(secret).toMatch(/^pep_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(token).toMatchObject({ name: "ERP sync", prefix: secret.slice(4, 16), lastUsedAt: null, revokedAt: null });
    expect(JSON.stringify(token)).not.toContain(secret.slice(17));

    // The store holds a hash, never the secret.
    const stored = await env.deps.tokens.getTokenByPrefix(token.prefix);
    expect(stored?.secretHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(secret.slice(17));

    const posted = await call(exportsRoute.POST, "/api/v1/exports", { method: "POST", token: secret, body: inventory });
    expect(posted.status, posted.text).toBe(202);
    expect(posted.body.export).toMatchObject({ supplierId: "sup_rose", requestedBy: env.rose.id });
    expect((await call(exportRoute.GET, "/api/v1/exports/x", { token: secret, params: { id: posted.body.export.id } })).status).toBe(200);
    expect((await call(datasetsRoute.GET, "/api/v1/datasets", { token: secret })).status).toBe(200);

    const listed = await call(tokensRoute.GET, "/api/v1/tokens", { as: env.rose });
    expect(listed.status).toBe(200);
    const row = listed.body.tokens.find((t: { id: string }) => t.id === token.id);
    expect(row.lastUsedAt).toEqual(expect.any(String));
    expect(row).not.toHaveProperty("secretHash");

    const revoked = await call(tokenRoute.DELETE, `/api/v1/tokens/${token.id}`, { method: "DELETE", as: env.rose, params: { id: token.id } });
    expect(revoked.status, revoked.text).toBe(200);
    expect(revoked.body.token.revokedAt).toEqual(expect.any(String));

    const after = await call(exportsRoute.GET, "/api/v1/exports", { token: secret });
    expectError(after, 401, "unauthorized");
    expect(after.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("answers 401 with WWW-Authenticate: Bearer to an unknown, malformed or tampered token", async () => {
    state.deps = env.deps;
    const { secret } = await createToken(env.rose);
    const tampered = secret.slice(0, -1) + (secret.endsWith("A") ? "B" : "A");
    for (const t of ["pep_000000000000_" + "A".repeat(43), "nonsense", tampered]) {
      const res = await call(exportsRoute.GET, "/api/v1/exports", { token: t });
      expectError(res, 401, "unauthorized");
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
    }
  });

  it("updates last use at most once a minute", async () => {
    state.deps = env.deps;
    const { secret } = await createToken(env.rose);
    const prefix = secret.slice(4, 16);
    await call(exportsRoute.GET, "/api/v1/exports", { token: secret });
    const first = (await env.deps.tokens.getTokenByPrefix(prefix))?.lastUsedAt;
    expect(first).toEqual(expect.any(String));
    await new Promise((r) => setTimeout(r, 10));
    await call(exportsRoute.GET, "/api/v1/exports", { token: secret });
    expect((await env.deps.tokens.getTokenByPrefix(prefix))?.lastUsedAt).toBe(first);
  });

  it("keeps token management and admin routes session-only", async () => {
    state.deps = env.deps;
    const { secret, id } = await createToken(env.rose);
    expectError(await call(tokensRoute.GET, "/api/v1/tokens", { token: secret }), 401, "unauthorized");
    expectError(await call(tokensRoute.POST, "/api/v1/tokens", { method: "POST", token: secret, body: { name: "more" } }), 401, "unauthorized");
    expectError(await call(tokenRoute.DELETE, `/api/v1/tokens/${id}`, { method: "DELETE", token: secret, params: { id } }), 401, "unauthorized");
    expectError(await call(adminExportsRoute.GET, "/api/v1/admin/exports", { token: secret }), 401, "unauthorized");
    expectError(await call(retryRoute.POST, "/api/v1/exports/x/retry", { method: "POST", token: secret, params: { id: "x" } }), 401, "unauthorized");
  });

  it("lets no supplier see or revoke another's tokens, and gives admins none", async () => {
    state.deps = env.deps;
    const { id } = await createToken(env.rose, "rose only");
    const tulipList = await call(tokensRoute.GET, "/api/v1/tokens", { as: env.tulip });
    expect(tulipList.body.tokens.map((t: { id: string }) => t.id)).not.toContain(id);
    expectError(await call(tokenRoute.DELETE, `/api/v1/tokens/${id}`, { method: "DELETE", as: env.tulip, params: { id } }), 404, "not_found");
    expectError(await call(tokensRoute.POST, "/api/v1/tokens", { method: "POST", as: env.admin, body: { name: "x" } }), 403, "forbidden");
    expectError(await call(tokensRoute.POST, "/api/v1/tokens", { method: "POST", as: env.rose, body: { name: "" } }), 400, "validation_failed");
  });

  it("never lets one supplier's token reach another's exports: read, list, download, cancel", async () => {
    state.deps = env.deps;
    const tulipToken = (await createToken(env.tulip)).secret;
    const roseExport = (await call(exportsRoute.POST, "/api/v1/exports", { method: "POST", as: env.rose, body: { ...inventory, format: "parquet" } })).body
      .export as ExportRecord;
    const params = { id: roseExport.id };
    expectError(await call(exportRoute.GET, `/api/v1/exports/${roseExport.id}`, { token: tulipToken, params }), 404, "not_found");
    expectError(await call(downloadRoute.GET, `/api/v1/exports/${roseExport.id}/download`, { token: tulipToken, params }), 404, "not_found");
    expectError(await call(cancelRoute.POST, `/api/v1/exports/${roseExport.id}/cancel`, { method: "POST", token: tulipToken, params }), 404, "not_found");
    const list = await call(exportsRoute.GET, "/api/v1/exports", { token: tulipToken });
    expect(list.status).toBe(200);
    expect(list.body.items.map((e: ExportRecord) => e.supplierId)).not.toContain("sup_rose");
    // A body naming the other supplier is refused, not obeyed.
    expectError(await call(exportsRoute.POST, "/api/v1/exports", { method: "POST", token: tulipToken, body: { ...inventory, supplierId: "sup_rose" } }), 403, "forbidden");
    expect((await env.deps.jobs.getExport(roseExport.id))?.status).toBe("queued");
  });

  it("stops working when its user moves to another supplier", async () => {
    state.deps = env.deps;
    const mover = await createUser(env.deps.users, { email: "mover@suppliers.test", password: "test-password-123", role: "supplier", supplierId: "sup_rose" });
    const { secret } = await createToken(mover);
    expect((await call(exportsRoute.GET, "/api/v1/exports", { token: secret })).status).toBe(200);
    await env.deps.users.updateUser({ ...mover, supplierId: "sup_tulip", supplierName: "Tulip" });
    expectError(await call(exportsRoute.GET, "/api/v1/exports", { token: secret }), 401, "unauthorized");
  });
});

describe("webhook endpoints API", () => {
  it("registers (secret once), lists, hides from other suppliers and removes endpoints, with a token too", async () => {
    const env = await useEnv();
    const { secret: token } = await createToken(env.rose);
    const created = await call(webhooksRoute.POST, "/api/v1/webhooks", { method: "POST", token, body: { url: "https://erp.example.com/hooks", events: ["export.ready"] } });
    expect(created.status, created.text).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_/);
    const id = created.body.endpoint.id as string;
    const listed = await call(webhooksRoute.GET, "/api/v1/webhooks", { as: env.rose });
    expect(listed.body.endpoints).toEqual([expect.objectContaining({ id, url: "https://erp.example.com/hooks", events: ["export.ready"] })]);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.secret);
    expect((await call(webhooksRoute.GET, "/api/v1/webhooks", { as: env.tulip })).body.endpoints).toEqual([]);
    expectError(await call(webhookDeliveriesRoute.GET, "/x", { as: env.tulip, params: { id } }), 404, "not_found");
    expectError(await call(webhookRoute.DELETE, "/x", { method: "DELETE", as: env.tulip, params: { id } }), 404, "not_found");
    expect((await call(webhookDeliveriesRoute.GET, "/x", { as: env.rose, params: { id } })).body).toEqual({ deliveries: [] });
    expectError(await call(webhooksRoute.POST, "/api/v1/webhooks", { method: "POST", as: env.rose, body: { url: "http://erp.example.com/hooks" } }), 400, "validation_failed");
    expect((await call(webhookRoute.DELETE, "/x", { method: "DELETE", as: env.rose, params: { id } })).status).toBe(204);
    expect((await call(webhooksRoute.GET, "/api/v1/webhooks", { as: env.rose })).body.endpoints).toEqual([]);
  });
});

describe("limits", () => {
  it("answers 429 with Retry-After beyond the request rate, per token and per supplier session", async () => {
    const env = await useEnv({ API_RATE_LIMIT_PER_MINUTE: "3" });
    const { secret } = await createToken(env.rose); // one session request for rose
    for (let i = 0; i < 3; i++) expect((await call(exportsRoute.GET, "/api/v1/exports", { token: secret })).status).toBe(200);
    const limited = await call(exportsRoute.GET, "/api/v1/exports", { token: secret });
    expectError(limited, 429, "rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(limited.body.error.message).toMatch(/3 a minute/);
    // Tulip's session has its own bucket.
    expect((await call(exportsRoute.GET, "/api/v1/exports", { as: env.tulip })).status).toBe(200);
  });

  it("answers 429 with a clear message and Retry-After beyond N active exports, counting from the job store", async () => {
    const env = await useEnv({ MAX_ACTIVE_EXPORTS_PER_SUPPLIER: "2" });
    const post = (user: UserRecord, body: object) => call(exportsRoute.POST, "/api/v1/exports", { method: "POST", as: user, body });
    expect((await post(env.rose, inventory)).status).toBe(202);
    const second = await post(env.rose, { ...inventory, format: "parquet" });
    expect(second.status).toBe(202);
    const third = await post(env.rose, { ...inventory, bom: false });
    expectError(third, 429, "rate_limited");
    expect(third.body.error.message).toMatch(/2 exports queued or running; the limit is 2/);
    expect(Number(third.headers.get("retry-after"))).toBeGreaterThan(0);
    // Another supplier is not affected; a finished export frees a slot.
    expect((await post(env.tulip, inventory)).status).toBe(202);
    await call(cancelRoute.POST, "/x", { method: "POST", as: env.rose, params: { id: second.body.export.id } });
    expect((await post(env.rose, { ...inventory, bom: false })).status).toBe(202);
  });
});

describe("Idempotency-Key and deduplication", () => {
  let env: Env;
  beforeAll(async () => {
    env = await useEnv();
  });
  const post = (body: object, key?: string, user?: UserRecord) =>
    call(exportsRoute.POST, "/api/v1/exports", { method: "POST", as: user ?? env.rose, body, headers: key ? { "idempotency-key": key } : {} });

  it("replays the same export (200) for the same key and body, in any key order; 409 for another body", async () => {
    state.deps = env.deps;
    const first = await post({ dataset: "product_inventory", format: "csv", params: {} }, "order-42");
    expect(first.status, first.text).toBe(202);
    const replay = await post({ params: {}, format: "csv", dataset: "product_inventory", notify: true }, "order-42");
    expect(replay.status, replay.text).toBe(200);
    expect(replay.body).toMatchObject({ export: { id: first.body.export.id }, replayed: true });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    const other = await post({ dataset: "product_inventory", format: "parquet" }, "order-42");
    expectError(other, 409, "conflict");
    expect(other.body.error.message).toMatch(/different request/);
    // Keys are per supplier: tulip's "order-42" is her own.
    const tulip = await post({ dataset: "product_inventory", format: "parquet" }, "order-42", env.tulip);
    expect(tulip.status).toBe(202);
  });

  it("makes one export of concurrent requests with one key", async () => {
    state.deps = env.deps;
    const results = await Promise.all(Array.from({ length: 10 }, () => post({ ...inventory, format: "parquet" }, "race-key")));
    const ids = new Set(results.map((r) => r.body.export.id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.status === 202)).toHaveLength(1);
  });

  it("forgets a key after its lifetime (24 h)", async () => {
    state.deps = env.deps;
    const first = await post({ ...inventory, bom: true }, "daily");
    expect(first.status).toBe(202);
    const realNow = env.deps.now;
    env.deps.now = () => new Date(Date.now() + 24 * 3600_000 + 1000);
    try {
      const later = await post({ ...inventory, format: "parquet" }, "daily");
      expect(later.status, later.text).toBe(202);
      expect(later.body.export.id).not.toBe(first.body.export.id);
    } finally {
      env.deps.now = realNow;
    }
  });

  it("refuses a malformed key with 400", async () => {
    state.deps = env.deps;
    expectError(await post(inventory, "x".repeat(256)), 400, "validation_failed");
    expectError(await post(inventory, "tab\there"), 400, "validation_failed");
  });

  it("makes one export of 20 concurrent identical requests without a key, and says so to the other 19", async () => {
    const raceEnv = await useEnv();
    const body = { dataset: "product_inventory", params: { lowStockOnly: true }, format: "csv", notify: false };
    const results = await Promise.all(
      Array.from({ length: 20 }, () => call(exportsRoute.POST, "/api/v1/exports", { method: "POST", as: raceEnv.rose, body })),
    );
    for (const r of results) expect([200, 202], r.text).toContain(r.status);
    const created = results.filter((r) => r.status === 202);
    const deduped = results.filter((r) => r.status === 200);
    expect(created).toHaveLength(1);
    expect(deduped).toHaveLength(19);
    const id = created[0]!.body.export.id;
    for (const r of deduped) {
      expect(r.body).toMatchObject({ export: { id }, deduplicated: true });
      expect(r.headers.get("x-export-deduplicated")).toBe("true");
    }
    expect(await raceEnv.deps.jobs.countActive("sup_rose")).toBe(1);

    // Once that export is no longer active, the same request starts a new one.
    await call(cancelRoute.POST, "/x", { method: "POST", as: raceEnv.rose, params: { id } });
    const again = await call(exportsRoute.POST, "/api/v1/exports", { method: "POST", as: raceEnv.rose, body });
    expect(again.status, again.text).toBe(202);
    expect(again.body.export.id).not.toBe(id);
  });
});
