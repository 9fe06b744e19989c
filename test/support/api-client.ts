/**
 * Calls /api/v1 route handlers directly with `Request`s, as a signed-in user
 * (a real next-auth session cookie) or with a Bearer token. The test file
 * points `getDeps()` at its own backend (see partner-api.test.ts).
 */
import { encode } from "next-auth/jwt";
import { claimsFor, SESSION_MAX_AGE_SECONDS } from "@/lib/auth";
import type { UserRecord } from "@/lib/ports";

export const BASE = "http://localhost:3000";
const COOKIE = "next-auth.session-token";

export type AnyRoute = (req: Request, ctx: { params: Promise<any> }) => Promise<Response>;

export interface Call {
  method?: string;
  /** Signed in as this user (session cookie). */
  as?: UserRecord;
  /** Or an API token. */
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  params?: Record<string, unknown>;
}

export interface Result {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export function apiClient(secret: () => string) {
  async function sessionCookie(user: UserRecord): Promise<string> {
    const token = await encode({ token: claimsFor(user, Math.floor(Date.now() / 1000)), secret: secret(), maxAge: SESSION_MAX_AGE_SECONDS });
    return `${COOKIE}=${token}`;
  }

  async function call(route: AnyRoute, path: string, opts: Call = {}): Promise<Result> {
    const headers = new Headers(opts.headers);
    if (opts.as) headers.set("cookie", await sessionCookie(opts.as));
    if (opts.token) headers.set("authorization", `Bearer ${opts.token}`);
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
      if (!headers.has("content-type")) headers.set("content-type", "application/json");
    }
    const res = await route(new Request(`${BASE}${path}`, { method: opts.method ?? "GET", headers, body }), { params: Promise.resolve(opts.params ?? {}) });
    const text = await res.text();
    let parsed: unknown = null;
    if (text && res.headers.get("content-type")?.includes("json")) parsed = JSON.parse(text);
    return { status: res.status, headers: res.headers, body: parsed, text };
  }

  return { call, sessionCookie };
}
