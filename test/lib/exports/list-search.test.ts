/**
 * The list filters' new rules through the service on real local stores:
 * admins search by export id, requester email and supplier; a reversed date
 * range or an unknown dataset (e.g. in a bookmarked URL) is an error that
 * says so, not an empty list.
 */
import fs from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError } from "@/lib/core/errors";
import { listAllExports, listExports } from "@/lib/exports/service";
import { requestExportAs as requestExport } from "@/test/support/request-export";
import type { AppDeps } from "@/lib/config";
import { admin, makeLocalDeps, rose, tulip } from "@/test/support/local-env";

let d: AppDeps & { dataDir: string };
beforeAll(async () => {
  // No query runs here: exports stay queued.
  d = await makeLocalDeps("/nonexistent/warehouse.duckdb");
});
afterAll(async () => {
  await d?.close();
  if (d) await fs.rm(d.dataDir, { recursive: true, force: true });
});

const refusal = async (p: Promise<unknown>) => {
  const err = await p.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
};

describe("admin search and list filter checks", () => {
  it("finds an export by id, by requester email (any case) and by supplier id", async () => {
    const r = await requestExport(d, rose, { dataset: "product_inventory", params: {} });
    const t = await requestExport(d, tulip, { dataset: "customer_reviews", params: {} });
    expect((await listAllExports(d, admin, { q: r.id })).items.map((x) => x.id)).toEqual([r.id]);
    expect((await listAllExports(d, admin, { q: "TULIP@suppliers.test" })).items.map((x) => x.id)).toEqual([t.id]);
    expect((await listAllExports(d, admin, { q: "sup_rose" })).items.every((x) => x.supplierId === "sup_rose")).toBe(true);
    expect((await listAllExports(d, admin, { q: r.id, supplierId: "sup_tulip" })).items).toEqual([]);
    expect((await refusal(listAllExports(d, admin, { q: "not a thing" }))).status).toBe(400);
    expect((await refusal(listExports(d, rose, { q: t.id }))).status).toBe(400);
  });

  it("says so when the dates are reversed or the dataset does not exist", async () => {
    const reversed = await refusal(listExports(d, rose, { from: "2026-11-27", to: "2026-11-01" }));
    expect(reversed.details).toEqual([{ path: "to", message: "The end date (2026-11-01) is before the start date (2026-11-27)." }]);
    const unknown = await refusal(listExports(d, rose, { dataset: "no_such_dataset" }));
    expect(unknown.details).toEqual([{ path: "dataset", message: 'There is no dataset "no_such_dataset".' }]);
    // One day is a valid range: from and to the same date.
    await expect(listExports(d, rose, { from: "2026-11-27", to: "2026-11-27" })).resolves.toBeDefined();
  });
});
