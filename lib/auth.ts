/**
 * Sign-in (next-auth v4, Credentials provider, JWT sessions) and the one
 * mapping from a session to the `Actor` the export service takes.
 *
 * - Sessions last `SESSION_MAX_AGE_SECONDS` from sign-in, however active the
 *   person is; sign-out clears the cookie.
 * - Each time a session is read the user is looked up again: a deleted user
 *   is signed out at once, and a changed role or supplier applies at once.
 * - Failed sign-ins are throttled per email and client address, and per
 *   email alone (see `LoginThrottle`).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { getServerSession, type NextAuthOptions, type Session, type User } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import type { JWT } from "next-auth/jwt";
import { deriveKey, getDeps } from "./config";
import type { Actor } from "./core/actor";
import type { UserRecord, UserStore } from "./ports";
import { DEFAULT_RULE, LoginThrottle, describeWait } from "./users/login-throttle";
import { isKnownDevice } from "./users/known-device";
import { authenticate } from "./users/users";

/** A working day. Also the JWT's and the cookie's lifetime. */
export const SESSION_MAX_AGE_SECONDS = 8 * 60 * 60;

/**
 * The message shown when sign-in is refused because of too many failures.
 * next-auth passes a thrown error's message to the sign-in page as `?error=`;
 * a plain wrong password arrives as `?error=CredentialsSignin`.
 */
export function tooManyAttemptsMessage(retryAfterMs: number): string {
  return `Too many failed sign-in attempts. Try again in ${describeWait(retryAfterMs)}.`;
}

/** Thrown from the jwt callback to end a session; next-auth then clears the cookie and reports no session. */
class SessionEnded extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "SessionEnded";
  }
}

export interface LoginThrottles {
  /** Per email and client address: stops one client guessing one account's password. */
  perClient: LoginThrottle;
  /** Per email, any address: bounds guessing spread over many addresses (at 4x the per-client allowance). */
  perEmail: LoginThrottle;
}

const globalForAuth = globalThis as unknown as { __loginThrottles?: LoginThrottles };

/** The process's throttles, kept on globalThis so a dev-server reload does not reset the counts. */
function loginThrottles(): LoginThrottles {
  return (globalForAuth.__loginThrottles ??= createLoginThrottles());
}

/** Key of the known-device cookies (see `known-device.ts`), derived from the deployment's secret. */
export function knownDeviceKey(authSecret: string): string {
  return deriveKey(authSecret, "known-device-cookies");
}

/** A fresh pair of throttles with the default rules. */
export function createLoginThrottles(): LoginThrottles {
  return {
    perClient: new LoginThrottle(DEFAULT_RULE),
    perEmail: new LoginThrottle({ ...DEFAULT_RULE, maxFailures: DEFAULT_RULE.maxFailures * 4 }),
  };
}

type HeaderBag = Record<string, string | string[] | undefined> | Headers | undefined;

function header(headers: HeaderBag, name: string): string | undefined {
  if (!headers) return undefined;
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The client's address as the nearest proxy reports it. It can be forged
 * when nothing in front of the app overwrites X-Forwarded-For, which is why
 * the per-email throttle does not depend on it.
 */
export function clientAddress(headers: HeaderBag): string {
  const forwarded = header(headers, "x-forwarded-for")?.split(",")[0]?.trim();
  return (forwarded || header(headers, "x-real-ip")?.trim() || "unknown").slice(0, 64);
}

/**
 * The Credentials provider's check: refuses while throttled (without looking
 * at the password), else authenticates and counts a failure. Returns null for
 * a wrong email or password (next-auth's "CredentialsSignin"); throws with a
 * readable message when throttled. A browser with a known-device cookie for
 * the email (`deviceKey` set) is exempt from the per-email lock, so failures
 * from other addresses cannot lock the owner out (see `known-device.ts`).
 */
export async function authorizeCredentials(
  users: UserStore,
  throttles: LoginThrottles,
  credentials: { email?: unknown; password?: unknown } | undefined,
  headers: HeaderBag,
  now: number = Date.now(),
  deviceKey?: string,
): Promise<User | null> {
  const email = typeof credentials?.email === "string" ? credentials.email.trim().toLowerCase().slice(0, 254) : "";
  const password = typeof credentials?.password === "string" ? credentials.password : "";
  if (!email || !password) return null;

  const clientKey = `${email}|${clientAddress(headers)}`;
  const knownDevice = deviceKey !== undefined && isKnownDevice(deviceKey, header(headers, "cookie"), email);
  const checks = knownDevice ? ([[throttles.perClient, clientKey]] as const) : ([[throttles.perClient, clientKey], [throttles.perEmail, email]] as const);
  for (const [throttle, key] of checks) {
    const verdict = throttle.check(key, now);
    if (!verdict.allowed) throw new Error(tooManyAttemptsMessage(verdict.retryAfterMs));
  }

  const user = await authenticate(users, email, password);
  if (!user) {
    throttles.perClient.recordFailure(clientKey, now);
    throttles.perEmail.recordFailure(email, now);
    return null;
  }
  throttles.perClient.reset(clientKey);
  return toSessionUser(user);
}

function toSessionUser(user: UserRecord): User {
  return { id: user.id, email: user.email, name: user.name, role: user.role, supplierId: user.supplierId, supplierName: user.supplierName };
}

/** The claims a session token carries for `user`. */
export function claimsFor(user: UserRecord | User, authTime: number): JWT {
  return {
    sub: user.id,
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    supplierId: user.supplierId,
    supplierName: user.supplierName,
    authTime,
  };
}

/**
 * next-auth's jwt callback. At sign-in it writes the claims; on every later
 * read it ends sessions older than the maximum age and refreshes the claims
 * from the user store, so a deleted user or a changed role takes effect now.
 */
export async function refreshToken(users: UserStore, token: JWT, user: User | undefined, nowSeconds: number): Promise<JWT> {
  if (user) return claimsFor(user, nowSeconds);
  if (typeof token.id !== "string" || typeof token.authTime !== "number") throw new SessionEnded("session token without our claims");
  if (nowSeconds - token.authTime > SESSION_MAX_AGE_SECONDS) throw new SessionEnded("session expired");
  const current = await users.getUser(token.id);
  if (!current) throw new SessionEnded("user no longer exists");
  return claimsFor(current, token.authTime);
}

/**
 * The next-auth options, built on first use rather than at import: `next
 * build` imports route modules, and reading the config there would open the
 * database at build time.
 */
export async function getAuthOptions(): Promise<NextAuthOptions> {
  const deps = await getDeps();
  // next-auth v4 reads these two from the environment in places that take no
  // options (URL detection, middleware); a fresh clone has neither, so derive them from the config.
  if (!process.env.NEXTAUTH_URL) process.env.NEXTAUTH_URL = deps.config.settings.publicUrl;
  if (!process.env.NEXTAUTH_SECRET) process.env.NEXTAUTH_SECRET = deps.config.authSecret;
  const log = deps.log.child({ component: "auth" });

  return {
    secret: deps.config.authSecret,
    session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_SECONDS },
    jwt: { maxAge: SESSION_MAX_AGE_SECONDS },
    // Errors land on our sign-in page too, which shows "Wrong email or password." or the throttle message.
    pages: { signIn: "/signin", error: "/signin" },
    providers: [
      CredentialsProvider({
        name: "Email and password",
        credentials: {
          email: { label: "Email", type: "email" },
          password: { label: "Password", type: "password" },
        },
        authorize: (credentials, req) => authorizeCredentials(deps.users, loginThrottles(), credentials, req.headers, Date.now(), knownDeviceKey(deps.config.authSecret)),
      }),
    ],
    callbacks: {
      jwt: ({ token, user }) => refreshToken(deps.users, token, user, Math.floor(Date.now() / 1000)),
      session: ({ session, token }) => ({ ...session, user: sessionUserFromToken(token) }),
    },
    logger: {
      error(code, metadata) {
        const err = metadata instanceof Error ? metadata : metadata.error;
        // An ended session is routine (the person is simply signed out), not an error.
        if (err instanceof SessionEnded) log.info({ reason: err.message }, "session ended");
        else log.error({ code, err }, "next-auth error");
      },
      warn(code) {
        log.warn({ code }, "next-auth warning");
      },
      debug() {},
    },
  };
}

/** next-auth's session callback: the token's claims (complete, `refreshToken` made them) as `session.user`. */
function sessionUserFromToken(token: JWT): Session["user"] {
  if (!token.id || !token.email || !token.role) throw new SessionEnded("session token without our claims");
  return {
    id: token.id,
    email: token.email,
    name: token.name ?? token.email,
    role: token.role,
    supplierId: token.supplierId ?? null,
    supplierName: token.supplierName ?? null,
  };
}

/** The session's user as the export service sees it. Null for a session without a valid user. */
export function sessionToActor(session: Session | null): Actor | null {
  const u = session?.user;
  if (!u?.id || !u.email || (u.role !== "supplier" && u.role !== "admin")) return null;
  if (u.role === "supplier" && !u.supplierId) return null;
  return { userId: u.id, email: u.email, role: u.role, supplierId: u.role === "admin" ? null : u.supplierId };
}

/**
 * The caller of a route handler, from the session cookie of `req`. Reads the
 * request itself rather than `next/headers`, so handlers called directly (in
 * tests) behave exactly as under Next.
 */
export async function getActorFromRequest(req: Request): Promise<Actor | null> {
  const cookies = parseCookies(req.headers.get("cookie"));
  if (Object.keys(cookies).length === 0) return null;
  // getServerSession's request form wants Node's request/response; it only reads `headers` and
  // `cookies` and calls the response's cookie setters, so plain objects with those suffice.
  const nodeReq = { headers: Object.fromEntries(req.headers), cookies } as unknown as IncomingMessage & { cookies: Record<string, string> };
  const nodeRes = { getHeader: () => undefined, setHeader: () => nodeRes, setCookie: () => undefined } as unknown as ServerResponse;
  return sessionToActor(await getServerSession(nodeReq, nodeRes, await getAuthOptions()));
}

function parseCookies(header: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      out[name] = decodeURIComponent(value);
    } catch {
      out[name] = value;
    }
  }
  return out;
}
