/**
 * The export service on the real local backend, for what issue 12 found in
 * its request and list paths.
 */
import fs from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppDeps } from "@/lib/config";
import { ApiError } from "@/lib/core/errors";
import { listExports } from "@/lib/exports/service";
import { requestExportAs as requestExport } from "@/test/support/request-export";
import { makeLocalDeps, rose, seededWarehouse } from "@/test/support/local-env";

let warehouse: { dbPath: string; dir: string };
let deps: AppDeps & { dataDir: string };

beforeAll(async () => {
  warehouse = await seededWarehouse(200);
  deps = await makeLocalDeps(warehouse.dbPath);
});
afterAll(async () => {
  await deps?.close();
  if (deps) await fs.rm(deps.dataDir, { recursive: true, force: true });
  if (warehouse) await fs.rm(warehouse.dir, { recursive: true, force: true });
});

describe("requestExport", () => {
  it("refuses a __proto__ key in params with a 400, like any unknown filter (issue 12, finding 10)", async () => {
    for (const text of [
      '{"dataset":"product_inventory","params":{"__proto__":{"warehouse":"Rotterdam"}}}',
      '{"dataset":"product_inventory","params":{"warehouse":"Rotterdam","__proto__":null}}',
      '{"dataset":"product_detail","params":{"__proto__":{}}}',
    ]) {
      const err = await requestExport(deps, rose, JSON.parse(text)).catch((e: unknown) => e);
      expect(err, text).toBeInstanceOf(ApiError);
      expect((err as ApiError).status).toBe(400);
      expect((err as ApiError).details).toEqual([expect.objectContaining({ path: "params", message: expect.stringContaining("__proto__") })]);
    }
  });
});

describe("listExports", () => {
  it("finds exports with to=9999-12-31 (issue 12, finding 12: the bound overflowed to a six-digit year)", async () => {
    const rec = await requestExport(deps, rose, { dataset: "product_detail", params: {} });
    const page = await listExports(deps, rose, { to: "9999-12-31" });
    expect(page.items.map((e) => e.id)).toContain(rec.id);
    const before = await listExports(deps, rose, { to: "2000-01-01" });
    expect(before.items).toHaveLength(0);
  });
});

describe("createApiToken", () => {
  it("caps active tokens per supplier, so the per-token rate limit cannot be multiplied at will (issue 12, finding 12)", async () => {
    const { MAX_ACTIVE_TOKENS_PER_SUPPLIER, createApiToken, revokeApiToken } = await import("@/lib/tokens/api-tokens");
    const minter = { ...rose, userId: "usr_minter", supplierId: "sup_minter" };
    const made = [];
    for (let i = 0; i < MAX_ACTIVE_TOKENS_PER_SUPPLIER; i++) made.push(await createApiToken(deps, minter, { name: `t${i}` }));
    await expect(createApiToken(deps, minter, { name: "one too many" })).rejects.toMatchObject({ code: "conflict", status: 409 });
    // Another supplier is not affected, and revoking one makes room.
    await createApiToken(deps, rose, { name: "rose's" });
    await revokeApiToken(deps, minter, made[0]!.token.id);
    await createApiToken(deps, minter, { name: "replacement" });
  });
});
