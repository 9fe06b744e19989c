/**
 * The wrapper on its own, around handlers that check nothing themselves: the
 * role checks, the token hook and the error mapping must hold without help
 * from the service.
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
import { makeLocalDeps } from "@/test/helpers/local-env";
import { json, readJson, readQuery, withActor, withAdmin, withSupplier } from "./handler";

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

describe("role checks", () => {
  it("withAdmin refuses a supplier with 403 even when the handler checks nothing", async () => {
    const route = withAdmin(ok);
    expect((await route(await request(supplier), noParams)).status).toBe(403);
    expect((await route(await request(admin), noParams)).status).toBe(200);
    expect((await route(await request(null), noParams)).status).toBe(401);
  });

  it("withSupplier and withActor let suppliers and admins in, and hand over the actor and the params", async () => {
    const seen: unknown[] = [];
    const route = withSupplier<{ id: string }>(async ({ actor, params }) => {
      seen.push({ actor, params });
      return json({});
    });
    await route(await request(supplier), { params: Promise.resolve({ id: "exp_1" }) });
    expect(seen).toEqual([{ actor: { userId: supplier.id, email: "s@suppliers.test", role: "supplier", supplierId: "sup_s", membership: "owner" }, params: { id: "exp_1" } }]);
    expect((await withActor(ok)(await request(admin), noParams)).status).toBe(200);
  });

  it("withActor and withAdmin do not accept API tokens at all", async () => {
    for (const route of [withActor(ok), withAdmin(ok)]) {
      const res = await route(await request(admin, { headers: { authorization: "Bearer whatever" } }), noParams);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/not accepted here/);
    }
  });
});

describe("error mapping", () => {
  it("keeps an ApiError's status, details and headers", async () => {
    const route = withSupplier(async () => {
      throw new ApiError("rate_limited", "Slow down.", [{ path: "", message: "5 per minute" }], { "Retry-After": "30" });
    });
    const res = await route(await request(supplier), noParams);
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("30");
    expect(await res.json()).toEqual({ error: { code: "rate_limited", message: "Slow down.", details: [{ path: "", message: "5 per minute" }] } });
  });

  it("turns a ZodError into 400 with one detail per field", async () => {
    const route = withSupplier(async ({ req }) => json(z.object({ n: z.number() }).strict().parse(await readJson(req))));
    const res = await route(await request(supplier, { method: "POST", body: '{"n":"1","x":2}', headers: { "content-type": "application/json" } }), noParams);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; details: { path: string }[] } };
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.details.map((d) => d.path).sort()).toEqual(["", "n"]);
  });

  it("turns anything else into a generic 500 and logs it", async () => {
    const log = vi.spyOn(deps.log, "error");
    const route = withSupplier(async () => {
      throw new TypeError("cannot read properties of undefined (reading 'secret')");
    });
    const res = await route(await request(supplier), noParams);
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
