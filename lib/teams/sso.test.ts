/** SSO mapping and just-in-time membership, on real SQLite stores. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "better-sqlite3";
import { openSqlite } from "../adapters/local/sqlite";
import { SqliteApiTokenStore } from "../adapters/local/sqlite-api-token-store";
import { SqliteAuditStore } from "../adapters/local/sqlite-audit-store";
import { SqliteSupplierStore } from "../adapters/local/sqlite-supplier-store";
import { SqliteUserStore } from "../adapters/local/sqlite-user-store";
import { createUser } from "../users/users";
import type { TeamDeps } from "./members";
import { resolveSsoUser, supplierForIdentity, type SsoMapping } from "./sso";

const mapping: SsoMapping = { domains: { "rose.example": "sup_rose" }, supplierClaim: "supplier", defaultMembership: "viewer" };
let db: Database;
let deps: TeamDeps;

beforeEach(() => {
  db = openSqlite(":memory:");
  deps = {
    users: new SqliteUserStore(db),
    suppliers: new SqliteSupplierStore(db),
    tokens: new SqliteApiTokenStore(db),
    audit: new SqliteAuditStore(db),
    mailer: { send: async () => ({ messageId: "x" }), listSent: async () => [] },
    // A clock that moves, so audit entries sort in the order they were made.
    now: (() => {
      let t = Date.parse("2026-03-01T10:00:00.000Z");
      return () => new Date((t += 1000));
    })(),
    log: { error: () => undefined },
    config: { settings: { publicUrl: "http://localhost:3000" }, teams: { invitationTtlSeconds: 3600, passwordResetTtlSeconds: 600, linkKey: "00".repeat(32) } },
  };
});
afterEach(() => db.close());

describe("supplierForIdentity", () => {
  it("maps by email domain (case-insensitive), lets a well-formed claim win, and maps nothing else", () => {
    expect(supplierForIdentity(mapping, {}, "sam@Rose.Example")).toBe("sup_rose");
    expect(supplierForIdentity(mapping, { supplier: "sup_tulip" }, "sam@rose.example")).toBe("sup_tulip");
    expect(supplierForIdentity(mapping, { supplier: "DROP TABLE" }, "sam@rose.example")).toBe("sup_rose");
    expect(supplierForIdentity(mapping, {}, "sam@sub.rose.example")).toBeNull();
    expect(supplierForIdentity({ ...mapping, supplierClaim: null }, { supplier: "sup_tulip" }, "x@other.example")).toBeNull();
  });
});

describe("resolveSsoUser", () => {
  it("creates the account once, with the default membership and no password, and audits the join and sign-in", async () => {
    const first = await resolveSsoUser(deps, mapping, { email: "Sam@rose.example", email_verified: true, name: "Sam" });
    expect(first.ok && first.user).toMatchObject({ email: "sam@rose.example", supplierId: "sup_rose", membership: "viewer", passwordHash: "" });
    const again = await resolveSsoUser(deps, mapping, { email: "sam@rose.example" });
    expect(again.ok && again.user.id).toBe(first.ok && first.user.id);
    expect((await deps.users.listUsers()).length).toBe(1);
    const actions = (await deps.audit.list({ limit: 10 })).items.map((e) => e.action);
    expect(actions).toEqual(["signin", "signin", "member.joined"]); // newest first
  });

  it("refuses an unmapped domain, an unverified email, another supplier's account and a disabled supplier, creating nothing", async () => {
    expect(await resolveSsoUser(deps, mapping, { email: "eve@unknown.example" })).toEqual({ ok: false, refusal: "SsoUnmapped" });
    expect(await resolveSsoUser(deps, mapping, { email: "eve@rose.example", email_verified: false })).toEqual({ ok: false, refusal: "SsoNoEmail" });
    await createUser(deps.users, { email: "tim@rose.example", password: "tim-password-1234", role: "supplier", supplierId: "sup_tulip" });
    expect(await resolveSsoUser(deps, mapping, { email: "tim@rose.example" })).toEqual({ ok: false, refusal: "SsoMismatch" });
    await deps.suppliers.createSupplier({ id: "sup_rose", name: "Rose", createdAt: "2026-01-01T00:00:00.000Z", disabledAt: "2026-02-01T00:00:00.000Z" });
    expect(await resolveSsoUser(deps, mapping, { email: "new@rose.example" })).toEqual({ ok: false, refusal: "SsoDisabled" });
    expect((await deps.users.listUsers()).map((u) => u.email)).toEqual(["tim@rose.example"]);
    const failed = (await deps.audit.list({ action: "signin.failed", limit: 10 })).items.map((e) => e.detail);
    expect(failed).toEqual(["sso: SsoDisabled", "sso: SsoMismatch", "sso: SsoNoEmail", "sso: SsoUnmapped"]);
  });
});
