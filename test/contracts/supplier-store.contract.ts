/** Contract for `SupplierStore` (lib/ports.ts), run against SQLite and DynamoDB. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SupplierRecord, SupplierStore } from "@/lib/ports";
import { ApiError } from "@/lib/core/errors";

type MakeSupplierStore = () => Promise<{ store: SupplierStore; cleanup: () => Promise<void> }>;

const supplier = (overrides: Partial<SupplierRecord> = {}): SupplierRecord => ({
  id: "sup_rose",
  name: "Rose Supply Co",
  createdAt: "2026-01-01T10:00:00.000Z",
  disabledAt: null,
  ...overrides,
});

export function testSupplierStore(make: MakeSupplierStore): void {
  describe("SupplierStore contract", () => {
    let store: SupplierStore;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await make());
    });
    afterEach(async () => {
      await cleanup();
    });

    it("returns what was stored, field for field; null for an unknown id", async () => {
      const s = supplier();
      await store.createSupplier(s);
      expect(await store.getSupplier(s.id)).toEqual(s);
      expect(await store.getSupplier("sup_nobody")).toBeNull();
    });

    it("refuses a second supplier with the same id and keeps the first", async () => {
      await store.createSupplier(supplier());
      const err = await store.createSupplier(supplier({ name: "Impostor" })).catch((e: unknown) => e);
      expect((err as ApiError).code).toBe("conflict");
      expect((await store.getSupplier("sup_rose"))?.name).toBe("Rose Supply Co");
    });

    it("renames, disables and enables again, never touching id or creation time", async () => {
      const s = supplier();
      await store.createSupplier(s);
      await store.updateSupplier({ ...s, name: "Rose & Co", disabledAt: "2026-02-01T00:00:00.000Z", createdAt: "2030-01-01T00:00:00.000Z" });
      expect(await store.getSupplier(s.id)).toEqual({ ...s, name: "Rose & Co", disabledAt: "2026-02-01T00:00:00.000Z" });
      await store.updateSupplier({ ...s, name: "Rose & Co", disabledAt: null });
      expect((await store.getSupplier(s.id))?.disabledAt).toBeNull();
    });

    it("refuses to update a supplier that does not exist, without creating it", async () => {
      const err = await store.updateSupplier(supplier({ id: "sup_ghost" })).catch((e: unknown) => e);
      expect((err as ApiError).code).toBe("not_found");
      expect(await store.getSupplier("sup_ghost")).toBeNull();
    });

    it("lists every supplier by id", async () => {
      for (const id of ["sup_tulip", "sup_aster", "sup_rose"]) await store.createSupplier(supplier({ id, name: id }));
      expect((await store.listSuppliers()).map((s) => s.id)).toEqual(["sup_aster", "sup_rose", "sup_tulip"]);
    });
  });
}
