/**
 * The one wrapper around every /api/v1 route handler: resolves the caller,
 * enforces the access the route table (./routes.ts) declares for the route,
 * hands the handler `{ req, actor, deps, params }` and turns whatever it
 * throws into the one error shape (lib/api/errors.ts). Handlers stay two or
 * three lines that call into the domain.
 *
 *   export const GET = route<{ id: string }>("GET /api/v1/exports/{id}", async ({ actor, deps, params }) =>
 *     json(await getExport(deps, actor, params.id)));
 */
import { originOf, recordAudit, type AuditAction } from "../audit/audit";
import { getActorFromRequest } from "../auth";
import { getDeps, type AppDeps } from "../config";
import type { Actor } from "../core/actor";
import { ApiError } from "../core/errors";
import { verifyApiToken } from "../tokens/api-tokens";
import { checkMembershipAndScope } from "./access";
import { toErrorResponse } from "./errors";
import { ROUTES, type ProtectedRouteKey, type PublicRouteKey, type Role, type RouteKey } from "./routes";

/** What a wrapped handler receives. */
export interface HandlerContext<P> {
  req: Request;
  /** Who is calling, from the session or an API token; never from the request body. */
  actor: Actor;
  deps: AppDeps;
  /** The route's dynamic segments, e.g. `{ id }` for `/exports/[id]`. */
  params: P;
}

export type Handler<P> = (ctx: HandlerContext<P>) => Promise<Response>;

/** The signature Next.js calls a route handler with. */
export type RouteHandler<P> = (req: Request, ctx: { params: Promise<P> }) => Promise<Response>;

type NoParams = Record<string, never>;

/** A route handler as exported by a route file, tagged with its key in the route table. */
export type TableRouteHandler<P> = RouteHandler<P> & { readonly routeKey: RouteKey };

/**
 * Wraps the handler of the route table's entry `key`: enforces the access
 * declared there (./routes.ts), so a route file states only which route it is.
 */
export function route<P = NoParams>(key: ProtectedRouteKey, handler: Handler<P>): TableRouteHandler<P> {
  const access = ROUTES[key].access;
  const wrapped: RouteHandler<P> = async (req, ctx) => {
    let deps: AppDeps | undefined;
    try {
      deps = await getDeps();
      const caller = await resolveCaller(req, { allowTokens: access.tokens }, deps);
      if (!caller) {
        throw new ApiError("unauthorized", "Sign in to continue, or send an API token as \"Authorization: Bearer <token>\".", undefined, {
          "WWW-Authenticate": "Bearer",
        });
      }
      const { actor } = caller;
      if (!(access.roles as readonly Role[]).includes(actor.role)) throw new ApiError("forbidden", forbiddenMessage(access.roles));
      checkMembershipAndScope(access, actor);
      await limitRate(deps, caller.rateKey);
      refuseCrossSite(req, deps.config.settings.publicUrl);
      return await handler({ req, actor, deps, params: await ctx.params });
    } catch (err) {
      return failed(req, err, deps);
    }
  };
  return Object.assign(wrapped, { routeKey: key as RouteKey });
}

/** A route anyone may call (no sign-in, no rate limit): only errors are mapped to the one shape. */
export function publicRoute(key: PublicRouteKey, handler: (req: Request) => Promise<Response>): TableRouteHandler<NoParams> {
  const wrapped: RouteHandler<NoParams> = async (req) => {
    try {
      return await handler(req);
    } catch (err) {
      return toErrorResponse(err, undefined);
    }
  };
  return Object.assign(wrapped, { routeKey: key as RouteKey });
}

/** What a handler outside the table receives: no caller. */
export interface PublicContext {
  req: Request;
  deps: AppDeps;
}

/**
 * The account routes anyone may call, outside /api/v1 (accepting an
 * invitation, asking for and using a password reset): no session or token,
 * but a rate limit per client address, the cross-site refusal and the one
 * error shape.
 */
export function withPublic(handler: (ctx: PublicContext) => Promise<Response>): RouteHandler<NoParams> {
  return async (req) => {
    let deps: AppDeps | undefined;
    try {
      deps = await getDeps();
      await limitRate(deps, `public:${originOf(req.headers).ip ?? "unknown"}`);
      refuseCrossSite(req, deps.config.settings.publicUrl);
      return await handler({ req, deps });
    } catch (err) {
      return failed(req, err, deps);
    }
  };
}

/**
 * The response for what a handler threw. A request its client gave up on (the
 * form's preview aborts the stale one on every keystroke) fails while its body
 * is read, with Node's "aborted"; nobody is left to answer and nothing went
 * wrong on our side, so it is logged at debug, not as an unhandled 500.
 */
function failed(req: Request, err: unknown, deps: AppDeps | undefined): Response {
  if (clientGone(req, err)) {
    deps?.log.debug({ method: req.method, path: new URL(req.url).pathname }, "request aborted by the client");
    // 499 (nginx's "client closed request"): no one reads it, but access logs show what happened.
    return new Response(null, { status: 499, headers: { "Cache-Control": "no-store" } });
  }
  return toErrorResponse(err, deps?.log);
}

/** The client closed the connection: the request's signal says so, or reading its body failed the way Node's http server fails it. */
function clientGone(req: Request, err: unknown): boolean {
  if (req.signal?.aborted) return true;
  return err instanceof Error && (err as Error & { code?: unknown }).code === "ECONNRESET" && err.message === "aborted";
}

/** Appends to the audit log for a wrapped handler's caller, with the request's address and user agent. */
export function audit(ctx: HandlerContext<unknown>, action: AuditAction, target?: string | null, detail?: string | null): Promise<void> {
  return recordAudit(ctx.deps, { action, actor: ctx.actor, target, detail, origin: originOf(ctx.req.headers) });
}

function forbiddenMessage(roles: readonly Role[]): string {
  if (roles.length === 1 && roles[0] === "admin") return "Only admins can do this.";
  if (roles.length === 1 && roles[0] === "supplier") return "This belongs to a supplier account; admin accounts have none.";
  return "Your account cannot do this.";
}

/** Who is calling, and the key their request rate is counted under: the token, else the supplier (or the admin user). */
interface Caller {
  actor: Actor;
  rateKey: string;
}

/** The API's request rate limit (`RateLimiter` in lib/ports.ts, shared by every process): 429 with Retry-After beyond it. */
async function limitRate(deps: AppDeps, key: string): Promise<void> {
  const verdict = await deps.rateLimiter.take(key);
  if (!verdict.allowed) {
    throw new ApiError(
      "rate_limited",
      `Too many requests: the limit is ${deps.config.api.requestsPerMinute} a minute. Try again in ${verdict.retryAfterSeconds} s.`,
      undefined,
      { "Retry-After": String(verdict.retryAfterSeconds) },
    );
  }
}

/**
 * Who is calling. An `Authorization: Bearer` header is an API token and is
 * used instead of any session cookie; other schemes (a proxy's Basic auth)
 * are not ours and are ignored. A token that does not verify is a 401, never
 * a fallback to the session.
 */
async function resolveCaller(req: Request, opts: { allowTokens: boolean }, deps: AppDeps): Promise<Caller | null> {
  const authorization = req.headers.get("authorization");
  if (authorization && /^bearer\s/i.test(authorization.trim())) {
    if (!opts.allowTokens) {
      throw new ApiError("unauthorized", "This route needs a signed-in session; API tokens are not accepted here.", undefined, {
        "WWW-Authenticate": 'Bearer error="invalid_token"',
      });
    }
    const verified = await verifyApiToken(deps, authorization.trim().slice("bearer".length).trim());
    if (!verified) {
      throw new ApiError("unauthorized", "This API token is not valid, has expired or has been revoked.", undefined, {
        "WWW-Authenticate": 'Bearer error="invalid_token"',
      });
    }
    return { actor: verified.actor, rateKey: `token:${verified.token.id}` };
  }
  const actor = await getActorFromRequest(req);
  if (!actor) return null;
  return { actor, rateKey: actor.supplierId ? `supplier:${actor.supplierId}` : `user:${actor.userId}` };
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Defence in depth against cross-site request forgery on cookie-authenticated
 * writes (the session cookie is SameSite=Lax already): a browser always sends
 * `Origin` on a cross-site POST, and it must be this site's: PUBLIC_URL's, the
 * request URL's, or the host the browser addressed (`Host`, which a page on
 * another site cannot set). The last is what lets a page opened at
 * http://127.0.0.1:3000 post while PUBLIC_URL says localhost (`next dev`
 * builds `req.url` from its own hostname, not from `Host`).
 */
function refuseCrossSite(req: Request, publicUrl: string): void {
  if (SAFE_METHODS.has(req.method)) return;
  const origin = req.headers.get("origin");
  if (!origin) return;
  const allowed = new Set([new URL(req.url).origin, new URL(publicUrl).origin]);
  if (allowed.has(origin)) return;
  const host = req.headers.get("host")?.toLowerCase();
  if (host && /^https?:$/.test(urlOrNull(origin)?.protocol ?? "") && urlOrNull(origin)?.host === host) return;
  throw new ApiError("forbidden", "Cross-site requests are refused.");
}

function urlOrNull(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

/* ------------------------------------------------------------------ helpers */

/** Request bodies above this are refused with 413: no export request comes close. */
export const MAX_JSON_BODY_BYTES = 64 * 1024;

/** A JSON response; API responses are per-user, so never cached. */
export function json(data: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return Response.json(data, { status, headers: { "Cache-Control": "no-store", ...headers } });
}

/** A 302 to `location`, not cached (a signed URL must not outlive its request). */
export function redirect(location: string): Response {
  return new Response(null, { status: 302, headers: { Location: location, "Cache-Control": "no-store" } });
}

/**
 * The request's JSON body. Refuses (as ApiError) a non-JSON content type and
 * an empty, non-UTF-8 or malformed body with 400, and a body over
 * `MAX_JSON_BODY_BYTES` with 413, counting bytes as they arrive so a body
 * without Content-Length cannot get round the limit.
 */
export async function readJson(req: Request): Promise<unknown> {
  const type = req.headers.get("content-type") ?? "";
  if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) {
    throw new ApiError("bad_request", 'Send the body as JSON, with "Content-Type: application/json".');
  }
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > MAX_JSON_BODY_BYTES) throw tooLarge();
  const bytes = await readLimited(req, MAX_JSON_BODY_BYTES);
  if (bytes.length === 0) throw new ApiError("bad_request", "The request body is empty; send a JSON object.");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ApiError("bad_request", "The request body is not valid UTF-8.");
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError("bad_request", "The request body is not valid JSON.");
  }
}

function tooLarge(): ApiError {
  return new ApiError("payload_too_large", `The request body is larger than ${MAX_JSON_BODY_BYTES / 1024} KB.`);
}

async function readLimited(req: Request, limit: number): Promise<Uint8Array> {
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

/**
 * The query string as a plain object of strings, for the service's zod
 * schemas. A key given twice is refused rather than silently reduced to one value.
 */
export function readQuery(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of new URL(req.url).searchParams) {
    if (Object.hasOwn(out, key)) {
      throw new ApiError("validation_failed", `The query parameter "${key}" is given more than once.`, [
        { path: key, message: "Give this parameter once." },
      ]);
    }
    out[key] = value;
  }
  return out;
}
