import { scryptSync } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "better-sqlite3";
import { openSqlite } from "../adapters/local/sqlite";
import { SqliteUserStore } from "../adapters/local/sqlite-user-store";
import { ApiError } from "../core/errors";
import type { UserStore } from "../ports";
import { DEMO_PASSWORD, DEMO_USERS, ensureDemoUsers } from "./demo-users";
import { verifyPassword } from "./passwords";
import { authenticate, createUser, setPassword, type TCreateUserInput } from "./users";

let db: Database;
let users: UserStore;

beforeEach(() => {
  db = openSqlite(":memory:");
  users = new SqliteUserStore(db);
});
afterEach(() => db.close());

const rose: TCreateUserInput = {
  email: "  Rose@Suppliers.TEST ",
  password: "a-long-enough-pass",
  role: "supplier",
  supplierId: "sup_rose",
  supplierName: "Rose Supply Co",
};

async function apiError(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

function paths(err: ApiError): string[] {
  return (err.details as { path: string }[]).map((d) => d.path);
}

describe("createUser", () => {
  it("stores a supplier user with a lower-cased email, a default name and a verifiable hash", async () => {
    const created = await createUser(users, rose);
    expect(created).toMatchObject({ email: "rose@suppliers.test", name: "rose", role: "supplier", supplierId: "sup_rose", supplierName: "Rose Supply Co" });
    expect(created.id).toMatch(/^usr_[0-9a-z]{22}$/);
    expect(await users.getUser(created.id)).toEqual(created);
    expect(created.passwordHash).not.toContain("a-long-enough-pass");
    expect(await verifyPassword("a-long-enough-pass", created.passwordHash)).toBe(true);
  });

  it("takes the supplier name from another user of that supplier, else falls back to the id", async () => {
    await createUser(users, rose);
    const colleague = await createUser(users, { email: "bud@suppliers.test", password: "another-long-pass", role: "supplier", supplierId: "sup_rose" });
    expect(colleague.supplierName).toBe("Rose Supply Co");
    const loner = await createUser(users, { email: "lily@suppliers.test", password: "another-long-pass", role: "supplier", supplierId: "sup_lily" });
    expect(loner.supplierName).toBe("sup_lily");
  });

  it("creates an admin with no supplier", async () => {
    const admin = await createUser(users, { email: "boss@acmeflowers.test", name: "Boss", password: "an-admin-password", role: "admin" });
    expect(admin).toMatchObject({ role: "admin", supplierId: null, supplierName: null, name: "Boss" });
  });

  it("accepts exactly 12 characters and refuses 11", async () => {
    await createUser(users, { ...rose, password: "x".repeat(12) });
    const err = await apiError(createUser(users, { ...rose, email: "short@suppliers.test", password: "x".repeat(11) }));
    expect(err.code).toBe("validation_failed");
    expect(paths(err)).toEqual(["password"]);
  });

  it.each([
    ["a supplier without a supplier id", { ...rose, supplierId: undefined }, "supplierId"],
    ["an admin with a supplier id", { ...rose, role: "admin" as const }, "supplierId"],
    ["a supplier id with capitals or dashes", { ...rose, supplierId: "Sup-Rose" }, "supplierId"],
    ["a supplier id longer than 40 characters", { ...rose, supplierId: "s".repeat(41) }, "supplierId"],
    ["an invalid email", { ...rose, email: "rose-at-suppliers" }, "email"],
    ["an unknown role", { ...rose, role: "owner" as "admin" }, "role"],
    ["an unknown field", { ...rose, isAdmin: true } as TCreateUserInput, ""],
  ])("refuses %s, naming the field", async (_label, input, field) => {
    const err = await apiError(createUser(users, input));
    expect(err.code).toBe("validation_failed");
    expect(paths(err)).toContain(field);
    expect(await users.listUsers()).toEqual([]);
  });

  it("refuses an email that is taken, whatever its case", async () => {
    await createUser(users, rose);
    const err = await apiError(createUser(users, { ...rose, email: "ROSE@suppliers.test" }));
    expect(err.code).toBe("conflict");
    expect(await users.listUsers()).toHaveLength(1);
  });
});

describe("authenticate", () => {
  beforeEach(async () => {
    await createUser(users, rose);
  });

  it("returns the user for the right password, whatever the email's case and surrounding spaces", async () => {
    expect((await authenticate(users, " ROSE@suppliers.test", "a-long-enough-pass"))?.email).toBe("rose@suppliers.test");
  });

  it("returns null for a wrong password or an unknown email", async () => {
    expect(await authenticate(users, "rose@suppliers.test", "a-long-enough-pasS")).toBeNull();
    expect(await authenticate(users, "nobody@suppliers.test", "a-long-enough-pass")).toBeNull();
    expect(await authenticate(users, "", "")).toBeNull();
  });

  it("replaces a weak legacy hash with a current one on a successful sign-in", async () => {
    const user = (await users.getUserByEmail("rose@suppliers.test"))!;
    const salt = Buffer.from("0123456789abcdef");
    const weak = ["scrypt", 1024, 8, 1, salt.toString("base64url"), scryptSync("a-long-enough-pass", salt, 32, { N: 1024 }).toString("base64url")].join("$");
    await users.updateUser({ ...user, passwordHash: weak });

    const signedIn = await authenticate(users, "rose@suppliers.test", "a-long-enough-pass");
    expect(signedIn?.passwordHash).toMatch(/^scrypt\$32768\$/);
    expect((await users.getUser(user.id))!.passwordHash).toBe(signedIn!.passwordHash);
    expect(await authenticate(users, "rose@suppliers.test", "a-long-enough-pass")).not.toBeNull();
  });
});

describe("setPassword", () => {
  it("replaces the password, with the same length rule", async () => {
    await createUser(users, rose);
    await setPassword(users, "Rose@suppliers.test", "a-brand-new-password");
    expect(await authenticate(users, "rose@suppliers.test", "a-long-enough-pass")).toBeNull();
    expect(await authenticate(users, "rose@suppliers.test", "a-brand-new-password")).not.toBeNull();
    expect((await apiError(setPassword(users, "rose@suppliers.test", "too-short"))).code).toBe("validation_failed");
    expect((await apiError(setPassword(users, "nobody@suppliers.test", "a-brand-new-password"))).code).toBe("not_found");
  });
});

describe("ensureDemoUsers", () => {
  it("creates the three demo accounts once, each signing in with the demo password", async () => {
    expect(await ensureDemoUsers(users)).toEqual(["rose@suppliers.test", "tulip@suppliers.test", "admin@acmeflowers.test"]);
    expect(await ensureDemoUsers(users)).toEqual([]);
    expect(await users.listUsers()).toHaveLength(3);
    for (const demo of DEMO_USERS) {
      const user = await authenticate(users, demo.email, DEMO_PASSWORD);
      expect(user).toMatchObject(demo);
    }
    expect((await users.getUserByEmail("tulip@suppliers.test"))?.supplierName).toBe("Tulip Traders");
    expect((await users.getUserByEmail("admin@acmeflowers.test"))?.supplierId).toBeNull();
  });

  it("leaves an existing demo account (and its changed password) alone", async () => {
    await createUser(users, { email: "rose@suppliers.test", password: "rose-changed-it", role: "supplier", supplierId: "sup_rose" });
    expect(await ensureDemoUsers(users)).toEqual(["tulip@suppliers.test", "admin@acmeflowers.test"]);
    expect(await authenticate(users, "rose@suppliers.test", DEMO_PASSWORD)).toBeNull();
    expect(await authenticate(users, "rose@suppliers.test", "rose-changed-it")).not.toBeNull();
  });
});
