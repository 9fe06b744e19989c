/**
 * Sign-in checks and session claims, without a Next server: the Credentials
 * provider's authorize step, the throttle around it, and the jwt callback.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "better-sqlite3";
import { openSqlite } from "./adapters/local/sqlite";
import { SqliteSupplierStore } from "./adapters/local/sqlite-supplier-store";
import { SqliteUserStore } from "./adapters/local/sqlite-user-store";
import type { UserRecord, UserStore } from "./ports";
import {
  SESSION_MAX_AGE_SECONDS,
  accountRefusal,
  authorizeCredentials,
  claimsFor,
  clientAddress,
  createLoginThrottles,
  refreshToken,
  sessionToActor,
  type LoginThrottles,
} from "./auth";
import { createUser } from "./users/users";
import { KNOWN_DEVICE_COOKIE, isKnownDevice, knownDeviceValue, withKnownDeviceCookie } from "./users/known-device";

let db: Database;
let users: UserStore;
let throttles: LoginThrottles;
let rose: UserRecord;

const PASSWORD = "rose-password-123";
const fromClient = (ip: string) => ({ "x-forwarded-for": `${ip}, 10.0.0.1` });

beforeEach(async () => {
  db = openSqlite(":memory:");
  users = new SqliteUserStore(db);
  throttles = createLoginThrottles();
  rose = await createUser(users, { email: "rose@suppliers.test", name: "Rose", password: PASSWORD, role: "supplier", supplierId: "sup_rose", supplierName: "Rose Supply Co" });
});
afterEach(() => db.close());

describe("authorizeCredentials", () => {
  it("returns the session user for the right password", async () => {
    const user = await authorizeCredentials(users, throttles, { email: "Rose@Suppliers.test", password: PASSWORD }, fromClient("1.2.3.4"));
    expect(user).toEqual({
      id: rose.id,
      email: "rose@suppliers.test",
      name: "Rose",
      role: "supplier",
      supplierId: "sup_rose",
      supplierName: "Rose Supply Co",
      membership: "owner",
      sessionVersion: 1,
    });
    expect(user).not.toHaveProperty("passwordHash");
  });

  it("returns null (next-auth's CredentialsSignin) for a wrong password, an unknown email or missing fields", async () => {
    expect(await authorizeCredentials(users, throttles, { email: "rose@suppliers.test", password: "wrong-password" }, {})).toBeNull();
    expect(await authorizeCredentials(users, throttles, { email: "nobody@suppliers.test", password: PASSWORD }, {})).toBeNull();
    expect(await authorizeCredentials(users, throttles, { email: "rose@suppliers.test" }, {})).toBeNull();
    expect(await authorizeCredentials(users, throttles, undefined, {})).toBeNull();
    expect(await authorizeCredentials(users, throttles, { email: ["rose@suppliers.test"], password: PASSWORD }, {})).toBeNull();
  });

  it("after 5 failures refuses even the right password with a readable wait, then lets it through when the lock ends", async () => {
    const t0 = 1_000_000;
    for (let i = 0; i < 5; i++) {
      expect(await authorizeCredentials(users, throttles, { email: "rose@suppliers.test", password: `wrong-${i}` }, fromClient("1.2.3.4"), t0 + i)).toBeNull();
    }
    await expect(
      authorizeCredentials(users, throttles, { email: "rose@suppliers.test", password: PASSWORD }, fromClient("1.2.3.4"), t0 + 10),
    ).rejects.toThrow("Too many failed sign-in attempts. Try again in 30 seconds.");
    // Another client is not locked out by this one's failures.
    expect(await authorizeCredentials(users, throttles, { email: "rose@suppliers.test", password: PASSWORD }, fromClient("5.6.7.8"), t0 + 10)).not.toBeNull();
    // 30 s later the first client may try again.
    expect(await authorizeCredentials(users, throttles, { email: "rose@suppliers.test", password: PASSWORD }, fromClient("1.2.3.4"), t0 + 30_010)).not.toBeNull();
  });

  it("doubles the lock with each further failure", async () => {
    const t0 = 1_000_000;
    let now = t0;
    const fail = () => authorizeCredentials(users, throttles, { email: "rose@suppliers.test", password: "wrong" }, fromClient("1.2.3.4"), now);
    for (let i = 0; i < 5; i++) await fail();
    now += 30_001; // first lock (30 s) over
    await fail(); // the sixth failure locks for 60 s
    await expect(fail()).rejects.toThrow("Try again in 1 minute.");
    now += 59_000;
    await expect(fail()).rejects.toThrow("Try again in 1 second.");
    now += 1_000;
    expect(await fail()).toBeNull(); // seventh failure: 2 minutes
    await expect(fail()).rejects.toThrow("Try again in 2 minutes.");
  });

  it("locks an email that fails from many addresses (20 failures), whatever the address", async () => {
    const t0 = 1_000_000;
    for (let i = 0; i < 20; i++) {
      await authorizeCredentials(users, throttles, { email: "rose@suppliers.test", password: "wrong" }, fromClient(`9.9.9.${i}`), t0 + i);
    }
    await expect(
      authorizeCredentials(users, throttles, { email: "rose@suppliers.test", password: PASSWORD }, fromClient("7.7.7.7"), t0 + 100),
    ).rejects.toThrow(/Too many failed sign-in attempts/);
  });

  it("does not lock the owner's known browser out when others fail from rotating addresses (issue 12, finding 3)", async () => {
    const key = "device-key-for-tests";
    const t0 = 1_000_000;
    for (let i = 0; i < 40; i++) {
      await authorizeCredentials(users, throttles, { email: "rose@suppliers.test", password: "wrong" }, fromClient(`9.9.${i}.1`), t0 + i, key).catch(() => null);
    }
    const ownBrowser = { ...fromClient("7.7.7.7"), cookie: `other=1; ${KNOWN_DEVICE_COOKIE}=${knownDeviceValue(key, "rose@suppliers.test")}` };
    expect(await authorizeCredentials(users, throttles, { email: "rose@suppliers.test", password: PASSWORD }, ownBrowser, t0 + 100, key)).toMatchObject({ id: rose.id });
    // The attacker has no such cookie: still locked, right password or not, and a cookie for another email or a forged one does not help.
    const forged = [
      `${KNOWN_DEVICE_COOKIE}=${knownDeviceValue(key, "tulip@suppliers.test")}`,
      `${KNOWN_DEVICE_COOKIE}=${knownDeviceValue("another-key", "rose@suppliers.test")}`,
      `${KNOWN_DEVICE_COOKIE}=${Buffer.from("rose@suppliers.test").toString("base64url")}.AAAA`,
    ];
    for (const cookie of forged) {
      await expect(
        authorizeCredentials(users, throttles, { email: "rose@suppliers.test", password: PASSWORD }, { ...fromClient("8.8.8.8"), cookie }, t0 + 100, key),
      ).rejects.toThrow(/Too many failed sign-in attempts/);
    }
    // A known browser still has its own per-client throttle.
    for (let i = 0; i < 5; i++) await authorizeCredentials(users, throttles, { email: "rose@suppliers.test", password: "wrong" }, ownBrowser, t0 + 200, key);
    await expect(authorizeCredentials(users, throttles, { email: "rose@suppliers.test", password: PASSWORD }, ownBrowser, t0 + 201, key)).rejects.toThrow(/Too many/);
  });

  it("forgets a client's failures after a successful sign-in", async () => {
    const t0 = 1_000_000;
    for (let i = 0; i < 4; i++) await authorizeCredentials(users, throttles, { email: "rose@suppliers.test", password: "wrong" }, fromClient("1.2.3.4"), t0);
    expect(await authorizeCredentials(users, throttles, { email: "rose@suppliers.test", password: PASSWORD }, fromClient("1.2.3.4"), t0)).not.toBeNull();
    for (let i = 0; i < 4; i++) await authorizeCredentials(users, throttles, { email: "rose@suppliers.test", password: "wrong" }, fromClient("1.2.3.4"), t0);
    expect(await authorizeCredentials(users, throttles, { email: "rose@suppliers.test", password: PASSWORD }, fromClient("1.2.3.4"), t0)).not.toBeNull();
  });
});

describe("known-device cookie", () => {
  const key = "k";
  const sessionSet = (res: Response) => res.headers.getSetCookie();

  it("is added to a sign-in answer that sets a session cookie, and only to that", () => {
    const ok = new Response(null, { status: 200, headers: [["Set-Cookie", "next-auth.session-token=abc; Path=/; HttpOnly"]] });
    const marked = withKnownDeviceCookie(ok, key, "Rose@Suppliers.test", true);
    const cookie = sessionSet(marked).find((c) => c.startsWith(`${KNOWN_DEVICE_COOKIE}=`))!;
    expect(cookie).toMatch(/; HttpOnly; SameSite=Lax; Secure$/);
    expect(isKnownDevice(key, cookie.split(";")[0], "rose@suppliers.test")).toBe(true);
    const refused = new Response(null, { status: 401, headers: [["Set-Cookie", "next-auth.csrf-token=x; Path=/"]] });
    expect(sessionSet(withKnownDeviceCookie(refused, key, "rose@suppliers.test", true)).some((c) => c.startsWith(KNOWN_DEVICE_COOKIE))).toBe(false);
  });
});

describe("clientAddress", () => {
  it("takes the first X-Forwarded-For entry, then X-Real-IP, from plain objects and Headers alike", () => {
    expect(clientAddress({ "x-forwarded-for": " 1.2.3.4 , 10.0.0.1" })).toBe("1.2.3.4");
    expect(clientAddress(new Headers({ "x-real-ip": "5.6.7.8" }))).toBe("5.6.7.8");
    expect(clientAddress({})).toBe("unknown");
    expect(clientAddress(undefined)).toBe("unknown");
  });
});

describe("refreshToken (the jwt callback)", () => {
  const now = 2_000_000_000;

  it("writes id, role, supplier and sign-in time at sign-in", async () => {
    const signedIn = { id: rose.id, email: rose.email, name: rose.name, role: rose.role, supplierId: rose.supplierId, supplierName: rose.supplierName, membership: rose.membership, sessionVersion: 1 };
    const token = await refreshToken(users, {}, signedIn, now);
    expect(token).toMatchObject({ sub: rose.id, id: rose.id, role: "supplier", supplierId: "sup_rose", supplierName: "Rose Supply Co", membership: "owner", sv: 1, authTime: now });
  });

  it("re-reads the user on every session read, so a changed role or supplier applies at once", async () => {
    const token = claimsFor(rose, now);
    await users.updateUser({ ...rose, role: "admin", supplierId: null, supplierName: null });
    const refreshed = await refreshToken(users, token, undefined, now + 60);
    expect(refreshed).toMatchObject({ role: "admin", supplierId: null, authTime: now });
  });

  it("ends the session of a deleted user, a session past its maximum age and a token without our claims", async () => {
    await expect(refreshToken(users, claimsFor({ ...rose, id: "usr_gone" }, now), undefined, now)).rejects.toThrow("user no longer exists");
    await expect(refreshToken(users, claimsFor(rose, now), undefined, now + SESSION_MAX_AGE_SECONDS + 1)).rejects.toThrow("session expired");
    expect(await refreshToken(users, claimsFor(rose, now), undefined, now + SESSION_MAX_AGE_SECONDS)).toMatchObject({ id: rose.id });
    await expect(refreshToken(users, { sub: rose.id, email: rose.email }, undefined, now)).rejects.toThrow("without our claims");
  });
});

describe("session versions (issue 12 finding 5)", () => {
  const now = 2_000_000_000;

  it("ends a session made before a version bump (sign-out, password change), and only that: a new sign-in works", async () => {
    const copied = claimsFor(rose, now);
    expect(await refreshToken(users, copied, undefined, now + 1)).toMatchObject({ sv: 1 });
    expect(await users.bumpSessionVersion(rose.id)).toBe(2);
    await expect(refreshToken(users, copied, undefined, now + 2)).rejects.toThrow("session revoked");
    const fresh = claimsFor((await users.getUser(rose.id))!, now + 3);
    expect(await refreshToken(users, fresh, undefined, now + 4)).toMatchObject({ sv: 2 });
  });

  it("counts a cookie from before versions existed as version 1", async () => {
    const { sv: _sv, ...old } = claimsFor(rose, now);
    expect(await refreshToken(users, old, undefined, now + 1)).toMatchObject({ id: rose.id });
    await users.bumpSessionVersion(rose.id);
    await expect(refreshToken(users, old, undefined, now + 2)).rejects.toThrow("session revoked");
  });

  it("ends the session of a disabled user, and of every user of a disabled supplier", async () => {
    const suppliers = new SqliteSupplierStore(db);
    await suppliers.createSupplier({ id: "sup_rose", name: "Rose Supply Co", createdAt: "2026-01-01T00:00:00.000Z", disabledAt: null });
    const token = claimsFor(rose, now);
    expect(await refreshToken(users, token, undefined, now + 1, suppliers)).toMatchObject({ id: rose.id });
    await suppliers.updateSupplier({ id: "sup_rose", name: "Rose Supply Co", createdAt: "2026-01-01T00:00:00.000Z", disabledAt: "2026-02-01T00:00:00.000Z" });
    await expect(refreshToken(users, token, undefined, now + 2, suppliers)).rejects.toThrow("disabled");
    await suppliers.updateSupplier({ id: "sup_rose", name: "Rose Supply Co", createdAt: "2026-01-01T00:00:00.000Z", disabledAt: null });
    await users.updateUser({ ...rose, disabledAt: "2026-02-01T00:00:00.000Z" });
    await expect(refreshToken(users, token, undefined, now + 3, suppliers)).rejects.toThrow("disabled");
    expect(await accountRefusal((await users.getUser(rose.id))!, suppliers)).toMatch(/account has been disabled/);
  });
});

describe("sessionToActor", () => {
  const expires = "2030-01-01T00:00:00.000Z";
  const user = { id: "usr_1", email: "a@b.test", name: "A", role: "supplier" as const, supplierId: "sup_a", supplierName: "A Co", membership: "member" as const };

  it("maps a supplier and an admin session", () => {
    expect(sessionToActor({ expires, user })).toEqual({ userId: "usr_1", email: "a@b.test", role: "supplier", supplierId: "sup_a", membership: "member" });
    expect(sessionToActor({ expires, user: { ...user, role: "admin", supplierId: null, membership: null } })).toEqual({ userId: "usr_1", email: "a@b.test", role: "admin", supplierId: null });
    // A session without a membership (from an older build) is the least it can be.
    expect(sessionToActor({ expires, user: { ...user, membership: null } })).toMatchObject({ membership: "viewer" });
  });

  it("refuses no session, a supplier without a supplier and an unknown role", () => {
    expect(sessionToActor(null)).toBeNull();
    expect(sessionToActor({ expires, user: { ...user, supplierId: null } })).toBeNull();
    expect(sessionToActor({ expires, user: { ...user, role: "owner" as "admin" } })).toBeNull();
  });
});
