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
 * - Sessions are revocable: the token carries the user's session version
 *   (`sv`) from sign-in, and every read compares it with the stored one.
 *   Sign-out, a password change, disabling and removal bump or delete it, so a
 *   copied cookie stops working at once, on every device. A disabled user or
 *   supplier is refused on the next read too.
 * - Sign-ins, failed sign-ins and sign-outs go to the audit log.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { getServerSession, type NextAuthOptions, type Session, type User } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import type { OAuthConfig } from "next-auth/providers/oauth";
import type { JWT } from "next-auth/jwt";
import { deriveKey, getDeps } from "./config";
import { originOf, recordAudit } from "./audit/audit";
import type { Actor } from "./core/actor";
import type { SsoSettings } from "./config";
import type { SupplierStore, UserRecord, UserStore } from "./ports";
import { resolveSsoUser } from "./teams/sso";
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
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    supplierId: user.supplierId,
    supplierName: user.supplierName,
    membership: user.membership,
    sessionVersion: user.sessionVersion,
  };
}

/**
 * Why this user may not sign in or keep a session, or null when they may:
 * the account or its supplier is disabled. Shown on the sign-in page, so it
 * says what to do.
 */
export async function accountRefusal(user: UserRecord, suppliers: SupplierStore | undefined): Promise<string | null> {
  if (user.disabledAt) return "This account has been disabled. Ask your organisation's admin to enable it.";
  if (user.role === "supplier" && user.supplierId && suppliers) {
    const supplier = await suppliers.getSupplier(user.supplierId);
    if (supplier?.disabledAt) return `${supplier.name} has been disabled on this portal. Contact Acme Flowers to enable it.`;
  }
  return null;
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
    membership: user.membership,
    sv: user.sessionVersion,
    authTime,
  };
}

/**
 * next-auth's jwt callback. At sign-in it writes the claims; on every later
 * read it ends sessions older than the maximum age and refreshes the claims
 * from the user store, so a deleted user or a changed role takes effect now.
 */
export async function refreshToken(
  users: UserStore,
  token: JWT,
  user: User | undefined,
  nowSeconds: number,
  suppliers?: SupplierStore,
): Promise<JWT> {
  if (user) return claimsFor(user, nowSeconds);
  if (typeof token.id !== "string" || typeof token.authTime !== "number") throw new SessionEnded("session token without our claims");
  if (nowSeconds - token.authTime > SESSION_MAX_AGE_SECONDS) throw new SessionEnded("session expired");
  const current = await users.getUser(token.id);
  if (!current) throw new SessionEnded("user no longer exists");
  // A token from before session versions counts as version 1, as the stores count a user without one.
  if ((token.sv ?? 1) !== current.sessionVersion) throw new SessionEnded("session revoked");
  const refusal = await accountRefusal(current, suppliers);
  if (refusal) throw new SessionEnded("account or supplier disabled");
  return claimsFor(current, token.authTime);
}

/**
 * The next-auth options, built on first use rather than at import: `next
 * build` imports route modules, and reading the config there would open the
 * database at build time. `request` is the request next-auth is handling
 * (the /api/auth route passes it): its events get no request of their own, so
 * the sign-out audit entry takes its IP and user agent from here.
 */
export async function getAuthOptions(request?: { headers: Headers }): Promise<NextAuthOptions> {
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
      ...(deps.config.sso ? [oidcProvider(deps.config.sso)] : []),
      CredentialsProvider({
        name: "Email and password",
        credentials: {
          email: { label: "Email", type: "email" },
          password: { label: "Password", type: "password" },
        },
        authorize: (credentials, req) => authorizeAndAudit(deps, credentials, req.headers),
      }),
    ],
    callbacks: {
      // SSO sign-ins are mapped to a supplier (or refused with a reason the sign-in page shows).
      async signIn({ account, profile }) {
        if (account?.provider !== OIDC_PROVIDER_ID) return true;
        const result = await resolveSsoUser(deps, deps.config.sso!, (profile ?? {}) as Record<string, unknown>, request && originOf(request.headers));
        return result.ok ? true : `/signin?error=${result.refusal}`;
      },
      async jwt({ token, user, account }) {
        const now = Math.floor(Date.now() / 1000);
        if (user && account?.provider === OIDC_PROVIDER_ID) {
          // `user` is the identity provider's profile; the session is for our user with that email (signIn made sure it exists).
          const record = await deps.users.getUserByEmail(String(user.email));
          if (!record) throw new SessionEnded("SSO user vanished between sign-in and session");
          return claimsFor(record, now);
        }
        return refreshToken(deps.users, token, user, now, deps.suppliers);
      },
      session: ({ session, token }) => ({ ...session, user: sessionUserFromToken(token) }),
    },
    events: {
      // Sign-out ends every session of the user, not just this cookie: a copy made earlier stops working too.
      async signOut({ token }) {
        if (typeof token?.id !== "string") return;
        const user = await deps.users.getUser(token.id);
        if (!user || (token.sv ?? 1) !== user.sessionVersion) return; // already ended: nothing to revoke
        await deps.users.bumpSessionVersion(user.id);
        await recordAudit(deps, { action: "signout", actor: { userId: user.id, email: user.email, supplierId: user.supplierId }, origin: request && originOf(request.headers) });
      },
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

/** next-auth's id of the OpenID Connect provider: its callback is /api/auth/callback/oidc. */
export const OIDC_PROVIDER_ID = "oidc";

/**
 * The deployment's OpenID Connect provider (issuer discovery, authorization
 * code with PKCE and state, the ID token checked against the issuer's keys).
 * The profile is the identity provider's; `signIn` maps it to our user.
 */
function oidcProvider(sso: SsoSettings): OAuthConfig<Record<string, unknown>> {
  return {
    id: OIDC_PROVIDER_ID,
    name: sso.name,
    type: "oauth",
    wellKnown: `${sso.issuer}/.well-known/openid-configuration`,
    clientId: sso.clientId,
    clientSecret: sso.clientSecret,
    authorization: { params: { scope: "openid email profile" } },
    idToken: true,
    checks: ["pkce", "state"],
    profile: (p) =>
      ({
        id: String(p.sub),
        email: typeof p.email === "string" ? p.email.toLowerCase() : "",
        name: typeof p.name === "string" ? p.name : String(p.email ?? p.sub),
        role: "supplier",
        supplierId: null,
        supplierName: null,
        membership: null,
        sessionVersion: 0,
      }) as User,
  };
}

/**
 * The Credentials provider's authorize step as next-auth runs it: the
 * password and throttle check, then the account check (disabled user or
 * supplier: refused with a message saying so), each outcome audited.
 */
async function authorizeAndAudit(
  deps: Awaited<ReturnType<typeof getDeps>>,
  credentials: { email?: unknown; password?: unknown } | undefined,
  headers: HeaderBag,
): Promise<User | null> {
  const origin = originOf(headers);
  const tried = typeof credentials?.email === "string" ? credentials.email.trim().toLowerCase().slice(0, 254) : "";
  const failed = async (detail: string) => {
    const known = tried ? await deps.users.getUserByEmail(tried) : null;
    await recordAudit(deps, {
      action: "signin.failed",
      actor: { userId: known?.id ?? null, email: tried || null, supplierId: known?.supplierId ?? null },
      detail,
      origin,
    });
  };
  let user: User | null;
  try {
    user = await authorizeCredentials(deps.users, loginThrottles(), credentials, headers, Date.now(), knownDeviceKey(deps.config.authSecret));
  } catch (err) {
    await failed((err as Error).message);
    throw err;
  }
  if (!user) {
    await failed("wrong email or password");
    return null;
  }
  const record = await deps.users.getUser(user.id);
  const refusal = record ? await accountRefusal(record, deps.suppliers) : "This account no longer exists.";
  if (refusal) {
    await failed(refusal);
    throw new Error(refusal);
  }
  await recordAudit(deps, { action: "signin", actor: { userId: user.id, email: user.email, supplierId: user.supplierId }, detail: "password", origin });
  return user;
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
    membership: token.membership ?? null,
  };
}

/** The session's user as the export service sees it. Null for a session without a valid user. */
export function sessionToActor(session: Session | null): Actor | null {
  const u = session?.user;
  if (!u?.id || !u.email || (u.role !== "supplier" && u.role !== "admin")) return null;
  if (u.role === "supplier" && !u.supplierId) return null;
  if (u.role === "admin") return { userId: u.id, email: u.email, role: "admin", supplierId: null };
  return { userId: u.id, email: u.email, role: "supplier", supplierId: u.supplierId, membership: u.membership ?? "viewer" };
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
