/**
 * The /api/auth route as a browser uses it to sign out: next-auth's CSRF
 * token first, then POST /api/auth/signout with the session cookie. The
 * sign-out audit entry carries the request's IP and user agent (next-auth's
 * signOut event gets no request: the route hands it to the options).
 *
 * next-auth's App Router handler reads cookies and headers through
 * `require("next/headers")`, which works only inside Next's request scope;
 * outside a server, that module is answered from the request under test
 * (Node's require cache: vi.mock does not reach a require inside node_modules).
 */
import fs from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { NextRequest } from "next/server";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { AppDeps } from "@/lib/config";
import type { UserRecord } from "@/lib/ports";
import { createUser } from "@/lib/users/users";
import { apiClient, BASE } from "@/test/support/api-client";
import { makeLocalDeps } from "@/test/support/local-env";
import * as auth from "@/app/api/auth/[...nextauth]/route";

const state = vi.hoisted(() => ({ deps: undefined as AppDeps | undefined }));
vi.mock("@/lib/config", async (importOriginal) => ({
  ...(await importOriginal<typeof import("@/lib/config")>()),
  getDeps: () => state.deps!,
}));

/** The request next-auth is handling, as `next/headers` would give it. */
let current: NextRequest | undefined;
const nextAuthRequire = createRequire(path.join(path.dirname(createRequire(import.meta.url).resolve("next-auth/next")), "index.js"));
const nextHeaders = nextAuthRequire.resolve("next/headers");
nextAuthRequire.cache[nextHeaders] = {
  id: nextHeaders,
  filename: nextHeaders,
  loaded: true,
  exports: { headers: async () => current!.headers, cookies: async () => current!.cookies },
} as unknown as NodeJS.Module;

let deps: AppDeps & { dataDir: string };
const { sessionCookie } = apiClient(() => deps.config.authSecret);
let user: UserRecord;

beforeAll(async () => {
  deps = await makeLocalDeps("/nonexistent/warehouse.duckdb", { PUBLIC_URL: BASE });
  state.deps = deps;
  user = await createUser(deps.users, { email: "sam@rose.test", password: "signout-password-123", role: "supplier", supplierId: "sup_rose", supplierName: "Rose Supply Co" });
});
afterAll(async () => {
  await deps.close();
  await fs.rm(deps.dataDir, { recursive: true, force: true });
});

async function nextAuth(method: string, action: string, init: { cookie?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.cookie) headers.set("cookie", init.cookie);
  if (init.body) headers.set("content-type", "application/x-www-form-urlencoded");
  const req = new NextRequest(`${BASE}/api/auth/${action}`, { method, headers, body: init.body });
  current = req;
  return auth[method as "GET" | "POST"](req, { params: Promise.resolve({ nextauth: action.split("/") }) });
}

/** The `name=value` pairs a response sets, as a Cookie header. */
const cookiesOf = (res: Response) => res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");

describe("POST /api/auth/signout", () => {
  it("records the sign-out with the request's IP and user agent, and ends the session", async () => {
    const browser = { "user-agent": "Mozilla/5.0 (signout-test)", "x-forwarded-for": "203.0.113.42, 10.0.0.1" };
    const csrf = await nextAuth("GET", "csrf", { headers: browser });
    expect(csrf.status).toBe(200);
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    const cookie = `${cookiesOf(csrf)}; ${await sessionCookie(user)}`;

    const res = await nextAuth("POST", "signout", { cookie, body: new URLSearchParams({ csrfToken, json: "true" }).toString(), headers: browser });
    expect(res.status, await res.clone().text()).toBe(200);
    expect((await deps.users.getUser(user.id))!.sessionVersion).toBe(user.sessionVersion + 1);

    const { items } = await deps.audit.list({ action: "signout", limit: 10 });
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ actorId: user.id, actorEmail: "sam@rose.test", supplierId: "sup_rose", ip: "203.0.113.42", userAgent: "Mozilla/5.0 (signout-test)" });
  });
});
