/**
 * The wrapper on its own, around handlers that check nothing themselves: the
 * access declared in the route table, the token hook and the error mapping
 * must hold without help from the service.
 */
import fs from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { encode } from "next-auth/jwt";
import { z } from "zod";
import type { AppDeps } from "@/lib/config";
import { claimsFor, SESSION_MAX_AGE_SECONDS } from "@/lib/auth";
import { ApiError } from "@/lib/core/errors";
import type { UserRecord } from "@/lib/ports";
import { createUser } from "@/lib/users/users";
import { makeLocalDeps } from "@/test/support/local-env";
import { json, publicRoute, readJson, readQuery, route } from "./handler";

const state = vi.hoisted(() => ({ deps: undefined as AppDeps | undefined }));
vi.mock("@/lib/config", async (importOriginal) => ({
  ...(await importOriginal<typeof import("@/lib/config")>()),
  getDeps: () => state.deps!,
}));

let deps: AppDeps & { dataDir: string };
let supplier: UserRecord;
let admin: UserRecord;

beforeAll(async () => {
  // The warehouse is opened lazily and these tests never query it.
  deps = await makeLocalDeps("/nonexistent/warehouse.duckdb");
  state.deps = deps;
  supplier = await createUser(deps.users, { email: "s@suppliers.test", password: "test-password-123", role: "supplier", supplierId: "sup_s" });
  admin = await createUser(deps.users, { email: "a@acmeflowers.test", password: "test-password-123", role: "admin" });
});

afterAll(async () => {
  await deps.close();
  await fs.rm(deps.dataDir, { recursive: true, force: true });
});

async function request(user: UserRecord | null, init: RequestInit & { path?: string } = {}): Promise<Request> {
  const headers = new Headers(init.headers);
  if (user) {
    const token = await encode({ token: claimsFor(user, Math.floor(Date.now() / 1000)), secret: deps.config.authSecret, maxAge: SESSION_MAX_AGE_SECONDS });
    headers.set("cookie", `next-auth.session-token=${token}`);
  }
  return new Request(`http://localhost:3000${init.path ?? "/api/v1/test"}`, { ...init, headers });
}

const noParams = { params: Promise.resolve({}) };
const ok = async () => json({ ok: true });

describe("access from the route table", () => {
  it("an admin-only route refuses a supplier with 403 even when the handler checks nothing", async () => {
    const wrapped = route("GET /api/v1/admin/exports", ok);
    expect((await wrapped(await request(supplier), noParams)).status).toBe(403);
    expect((await wrapped(await request(admin), noParams)).status).toBe(200);
    expect((await wrapped(await request(null), noParams)).status).toBe(401);
  });

  it("a supplier route lets suppliers and admins in, and hands over the actor and the params", async () => {
    const seen: unknown[] = [];
    const wrapped = route<{ id: string }>("GET /api/v1/exports/{id}", async ({ actor, params }) => {
      seen.push({ actor, params });
      return json({});
    });
    await wrapped(await request(supplier), { params: Promise.resolve({ id: "exp_1" }) });
    expect(seen).toEqual([{ actor: { userId: supplier.id, email: "s@suppliers.test", role: "supplier", supplierId: "sup_s", membership: "owner" }, params: { id: "exp_1" } }]);
    expect((await wrapped(await request(admin), { params: Promise.resolve({ id: "exp_1" }) })).status).toBe(200);
  });

  it("a supplier-account route refuses an admin with 403", async () => {
    const wrapped = route("GET /api/v1/tokens", ok);
    expect((await wrapped(await request(supplier), noParams)).status).toBe(200);
    expect((await wrapped(await request(admin), noParams)).status).toBe(403);
  });

  it("routes declared tokens: false do not accept API tokens at all", async () => {
    for (const wrapped of [route("GET /api/v1/tokens", ok), route("GET /api/v1/admin/stats", ok)]) {
      const res = await wrapped(await request(admin, { headers: { authorization: "Bearer whatever" } }), noParams);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/not accepted here/);
    }
  });

  it("tags each wrapped handler with its route key; a public route needs no sign-in", async () => {
    expect(route("POST /api/v1/exports", ok).routeKey).toBe("POST /api/v1/exports");
    const open = publicRoute("GET /api/v1/openapi.json", ok);
    expect(open.routeKey).toBe("GET /api/v1/openapi.json");
    expect((await open(await request(null), noParams)).status).toBe(200);
  });
});

describe("error mapping", () => {
  it("keeps an ApiError's status, details and headers", async () => {
    const wrapped = route("GET /api/v1/datasets", async () => {
      throw new ApiError("rate_limited", "Slow down.", [{ path: "", message: "5 per minute" }], { "Retry-After": "30" });
    });
    const res = await wrapped(await request(supplier), noParams);
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("30");
    expect(await res.json()).toEqual({ error: { code: "rate_limited", message: "Slow down.", details: [{ path: "", message: "5 per minute" }] } });
  });

  it("turns a ZodError into 400 with one detail per field", async () => {
    const wrapped = route("POST /api/v1/webhooks", async ({ req }) => json(z.object({ n: z.number() }).strict().parse(await readJson(req))));
    const res = await wrapped(await request(supplier, { method: "POST", body: '{"n":"1","x":2}', headers: { "content-type": "application/json" } }), noParams);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; details: { path: string }[] } };
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.details.map((d) => d.path).sort()).toEqual(["", "n"]);
  });

  it("turns anything else into a generic 500 and logs it", async () => {
    const log = vi.spyOn(deps.log, "error");
    const wrapped = route("GET /api/v1/datasets", async () => {
      throw new TypeError("cannot read properties of undefined (reading 'secret')");
    });
    const res = await wrapped(await request(supplier), noParams);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain("secret");
    expect(JSON.parse(text)).toEqual({ error: { code: "internal", message: "Something went wrong on our side. Please try again." } });
    expect(log).toHaveBeenCalledOnce();
    log.mockRestore();
  });
});

describe("readQuery", () => {
  it("returns single values and refuses a repeated key", () => {
    expect(readQuery(new Request("http://x/a?status=ready&limit=5"))).toEqual({ status: "ready", limit: "5" });
    expect(() => readQuery(new Request("http://x/a?status=ready&status=failed"))).toThrow(/more than once/);
  });
});
