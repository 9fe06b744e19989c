/**
 * Contract for `UserStore` (lib/ports.ts). Every adapter (SQLite, DynamoDB)
 * runs it; it checks only what the port promises.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { UserRecord, UserStore } from "@/lib/ports";
import { ApiError } from "@/lib/core/errors";
import { newId } from "@/lib/core/ids";

type MakeUserStore = () => Promise<{ store: UserStore; cleanup: () => Promise<void> }>;

function user(overrides: Partial<UserRecord> = {}): UserRecord {
  return {
    id: newId("usr"),
    email: `someone-${Math.random().toString(36).slice(2, 10)}@suppliers.test`,
    name: "Someone",
    role: "supplier",
    supplierId: "sup_rose",
    supplierName: "Rose Supply Co",
    passwordHash: "scrypt$32768$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
    createdAt: "2025-03-01T10:00:00.000Z",
    membership: "owner",
    sessionVersion: 1,
    disabledAt: null,
    ...overrides,
  };
}

async function expectConflict(p: Promise<unknown>): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  expect((err as ApiError).code).toBe("conflict");
}

export function testUserStore(make: MakeUserStore): void {
  describe("UserStore contract", () => {
    let store: UserStore;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ store, cleanup } = await make());
    });
    afterEach(async () => {
      await cleanup();
    });

    it("returns what was stored, field for field, by id and by email", async () => {
      const u = user();
      await store.createUser(u);
      expect(await store.getUser(u.id)).toEqual(u);
      expect(await store.getUserByEmail(u.email)).toEqual(u);
    });

    it("keeps an admin's null supplier fields as null", async () => {
      const u = user({ role: "admin", supplierId: null, supplierName: null });
      await store.createUser(u);
      expect(await store.getUser(u.id)).toEqual(u);
    });

    it("returns null for an unknown id or email", async () => {
      expect(await store.getUser(newId("usr"))).toBeNull();
      expect(await store.getUserByEmail("nobody@suppliers.test")).toBeNull();
    });

    it("finds a user whatever the case of the email asked for, and stores it lower-cased", async () => {
      const u = user({ email: "Rose.Petal@Suppliers.Test" });
      await store.createUser(u);
      const found = await store.getUserByEmail("ROSE.PETAL@suppliers.test");
      expect(found?.id).toBe(u.id);
      expect(found?.email).toBe("rose.petal@suppliers.test");
    });

    it("refuses a second user with the same email in another case, and keeps the first", async () => {
      const first = user({ email: "tulip@suppliers.test", name: "First" });
      await store.createUser(first);
      await expectConflict(store.createUser(user({ email: "TULIP@suppliers.test", name: "Second" })));
      expect((await store.getUserByEmail("tulip@suppliers.test"))?.name).toBe("First");
      expect(await store.listUsers()).toHaveLength(1);
    });

    it("refuses a duplicate id", async () => {
      const u = user();
      await store.createUser(u);
      await expectConflict(store.createUser(user({ id: u.id })));
      expect(await store.getUser(u.id)).toEqual(u);
    });

    it("lets exactly one of many concurrent creates with one email succeed", async () => {
      const attempts = Array.from({ length: 10 }, (_, i) => user({ email: "race@suppliers.test", name: `racer ${i}` }));
      const results = await Promise.allSettled(attempts.map((u) => store.createUser(u)));
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      for (const r of results) {
        if (r.status === "rejected") expect((r.reason as ApiError).code).toBe("conflict");
      }
      expect(await store.listUsers()).toHaveLength(1);
    });

    it("updates name, role, supplier and password hash, but not the email or creation time", async () => {
      const u = user();
      await store.createUser(u);
      const updated: UserRecord = {
        ...u,
        email: "changed@suppliers.test",
        createdAt: "2030-01-01T00:00:00.000Z",
        name: "Renamed",
        role: "admin",
        supplierId: null,
        supplierName: null,
        passwordHash: "scrypt$32768$8$1$bmV3c2FsdG5ld3NhbHQ$bmV3aGFzaG5ld2hhc2huZXdoYXNobmV3aGFzaA",
      };
      await store.updateUser(updated);
      expect(await store.getUser(u.id)).toEqual({ ...updated, email: u.email, createdAt: u.createdAt });
      expect(await store.getUserByEmail("changed@suppliers.test")).toBeNull();
    });

    it("refuses to update a user that does not exist, without creating it", async () => {
      const ghost = user();
      await expect(store.updateUser(ghost)).rejects.toThrow();
      expect(await store.getUser(ghost.id)).toBeNull();
    });

    it("updates membership and disabledAt, and keeps a viewer's membership field for field", async () => {
      const u = user({ membership: "viewer" });
      await store.createUser(u);
      expect((await store.getUser(u.id))?.membership).toBe("viewer");
      await store.updateUser({ ...u, membership: "member", disabledAt: "2026-01-02T03:04:05.000Z" });
      expect(await store.getUser(u.id)).toEqual({ ...u, membership: "member", disabledAt: "2026-01-02T03:04:05.000Z" });
      await store.updateUser({ ...u, membership: "member", disabledAt: null });
      expect((await store.getUser(u.id))?.disabledAt).toBeNull();
    });

    it("bumps the session version atomically: 10 concurrent bumps give 10 distinct versions", async () => {
      const u = user();
      await store.createUser(u);
      const versions = await Promise.all(Array.from({ length: 10 }, () => store.bumpSessionVersion(u.id)));
      expect([...versions].sort((a, b) => a! - b!)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      expect((await store.getUser(u.id))?.sessionVersion).toBe(11);
      expect(await store.bumpSessionVersion(newId("usr"))).toBeNull();
    });

    it("never lets updateUser move the session version back (a stale read-modify-write)", async () => {
      const u = user();
      await store.createUser(u);
      const stale = (await store.getUser(u.id))!;
      await store.bumpSessionVersion(u.id);
      await store.updateUser({ ...stale, name: "Renamed" });
      expect(await store.getUser(u.id)).toMatchObject({ name: "Renamed", sessionVersion: 2 });
    });

    it("deletes a user, frees the email for a new account, and says whether there was one", async () => {
      const u = user({ email: "leaver@suppliers.test" });
      await store.createUser(u);
      expect(await store.deleteUser(u.id)).toBe(true);
      expect(await store.getUser(u.id)).toBeNull();
      expect(await store.getUserByEmail(u.email)).toBeNull();
      expect(await store.listUsers()).toHaveLength(0);
      expect(await store.deleteUser(u.id)).toBe(false);
      const again = user({ email: "leaver@suppliers.test" });
      await store.createUser(again);
      expect((await store.getUserByEmail(u.email))?.id).toBe(again.id);
    });

    describe("changeMembership: the last owner", () => {
      const activeOwners = async (supplierId: string) =>
        (await store.listUsers()).filter((u) => u.supplierId === supplierId && u.membership === "owner" && !u.disabledAt).map((u) => u.id);

      it("changes a membership and removes a member, but never the supplier's last active owner", async () => {
        const owner = user({ supplierId: "sup_lone" });
        const viewer = user({ supplierId: "sup_lone", membership: "viewer" });
        const disabledOwner = user({ supplierId: "sup_lone", disabledAt: "2025-03-02T10:00:00.000Z" });
        for (const u of [owner, viewer, disabledOwner]) await store.createUser(u);
        // A disabled owner manages nothing, so it does not count as another owner.
        expect(await store.changeMembership(owner.id, "member")).toBe("last_owner");
        expect(await store.changeMembership(owner.id, null)).toBe("last_owner");
        expect(await store.getUser(owner.id)).toEqual(owner);
        // Another owner in another supplier does not count either.
        await store.createUser(user({ supplierId: "sup_other" }));
        expect(await store.changeMembership(owner.id, "viewer")).toBe("last_owner");

        expect(await store.changeMembership(viewer.id, "owner")).toBe("changed");
        expect(await store.changeMembership(owner.id, "viewer")).toBe("changed");
        expect(await store.getUser(owner.id)).toEqual({ ...owner, membership: "viewer" });
        expect(await store.changeMembership(owner.id, null)).toBe("changed");
        expect(await store.getUser(owner.id)).toBeNull();
        expect(await store.getUserByEmail(owner.email)).toBeNull();
        expect(await store.changeMembership(disabledOwner.id, null)).toBe("changed");
        expect(await activeOwners("sup_lone")).toEqual([viewer.id]);
      });

      it("answers not_found for an unknown id and for an admin", async () => {
        const admin = user({ role: "admin", supplierId: null, supplierName: null, membership: null });
        await store.createUser(admin);
        expect(await store.changeMembership(newId("usr"), "viewer")).toBe("not_found");
        expect(await store.changeMembership(admin.id, "owner")).toBe("not_found");
        expect(await store.getUser(admin.id)).toEqual(admin);
      });

      // The bug this pins (issue 15): check and write were separate steps, so two owners demoting or
      // removing each other at the same instant both saw two owners and the supplier was left with none.
      it("keeps an owner when the last two owners are demoted or removed at the same instant (20 rounds)", async () => {
        const changes: Array<[string, null | "member" | "viewer", null | "member" | "viewer"]> = [
          ["demote both", "member", "viewer"],
          ["remove both", null, null],
          ["demote one, remove the other", "viewer", null],
        ];
        let oneKept = 0;
        for (let round = 0; round < 20; round++) {
          const [what, first, second] = changes[round % changes.length]!;
          const supplierId = `sup_race${round}`;
          const a = user({ supplierId });
          const b = user({ supplierId });
          await store.createUser(a);
          await store.createUser(b);
          const results = await Promise.all([store.changeMembership(a.id, first), store.changeMembership(b.id, second)]);
          const owners = await activeOwners(supplierId);
          expect(owners.length, `round ${round} (${what}): ${JSON.stringify(results)}`).toBeGreaterThanOrEqual(1);
          expect(results.filter((r) => r === "changed").length, `round ${round} (${what})`).toBeLessThanOrEqual(1);
          // What each call answered is what was stored.
          for (const [u, r, to] of [[a, results[0], first], [b, results[1], second]] as const) {
            const stored = await store.getUser(u.id);
            if (r === "changed") expect(stored === null ? null : stored.membership).toBe(to);
            else expect(stored).toEqual(u);
          }
          if (results.includes("changed")) oneKept++;
        }
        // Refusing both every time would also keep an owner: most rounds let one change through.
        expect(oneKept).toBeGreaterThanOrEqual(10);
      });
    });

    it("lists every user, ordered by email", async () => {
      const names = ["carol@x.test", "alice@x.test", "bob@x.test"];
      for (const email of names) await store.createUser(user({ email }));
      expect((await store.listUsers()).map((u) => u.email)).toEqual(["alice@x.test", "bob@x.test", "carol@x.test"]);
    });
  });
}
