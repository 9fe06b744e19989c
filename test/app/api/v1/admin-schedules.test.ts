/**
 * GET /api/v1/admin/schedules: admins see every supplier's schedules (the
 * issue 14 leftover "no admin view of schedules"), through the real route
 * modules on a local backend; a supplier's own list stays its own.
 */
import fs from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { AppDeps } from "@/lib/config";
import type { UserRecord } from "@/lib/ports";
import { createUser } from "@/lib/users/users";
import { apiClient, type AnyRoute } from "@/test/support/api-client";
import { makeLocalDeps } from "@/test/support/local-env";
import * as schedules from "@/app/api/v1/schedules/route";
import * as adminSchedules from "@/app/api/v1/admin/schedules/route";

const state = vi.hoisted(() => ({ deps: undefined as AppDeps | undefined }));
vi.mock("@/lib/config", async (importOriginal) => ({
  ...(await importOriginal<typeof import("@/lib/config")>()),
  getDeps: () => state.deps!,
}));

let deps: AppDeps & { dataDir: string };
const { call } = apiClient(() => deps.config.authSecret);
let rose: UserRecord;
let tulip: UserRecord;
let admin: UserRecord;

async function schedule(as: UserRecord, name: string) {
  const res = await call(schedules.POST as AnyRoute, "/api/v1/schedules", {
    method: "POST",
    as,
    body: { name, request: { dataset: "product_inventory", params: {} }, cadence: { kind: "daily", time: "06:00" }, timezone: "Europe/Amsterdam" },
  });
  expect(res.status, res.text).toBe(201);
  return res.body.schedule.id as string;
}

beforeAll(async () => {
  deps = await makeLocalDeps("/nonexistent/warehouse.duckdb");
  state.deps = deps;
  rose = await createUser(deps.users, { email: "olive@rose.test", password: "owner-password-123", role: "supplier", supplierId: "sup_rose", supplierName: "Rose Supply Co" });
  tulip = await createUser(deps.users, { email: "tess@tulip.test", password: "owner-password-123", role: "supplier", supplierId: "sup_tulip", supplierName: "Tulip BV" });
  admin = await createUser(deps.users, { email: "ada@shop.test", password: "admin-password-123", role: "admin" });
});
afterAll(async () => {
  await deps.close();
  await fs.rm(deps.dataDir, { recursive: true, force: true });
});

describe("GET /api/v1/admin/schedules", () => {
  it("lists every supplier's schedules for an admin, filters by supplier, and refuses a malformed filter", async () => {
    const roseId = await schedule(rose, "Rose daily");
    const tulipId = await schedule(tulip, "Tulip daily");

    const all = await call(adminSchedules.GET as AnyRoute, "/api/v1/admin/schedules", { as: admin });
    expect(all.status, all.text).toBe(200);
    const ids = all.body.schedules.map((v: { schedule: { id: string } }) => v.schedule.id);
    expect(ids).toEqual(expect.arrayContaining([roseId, tulipId]));
    expect(all.body.schedules.find((v: { schedule: { id: string } }) => v.schedule.id === tulipId).schedule).toMatchObject({ supplierId: "sup_tulip", name: "Tulip daily" });

    const one = await call(adminSchedules.GET as AnyRoute, "/api/v1/admin/schedules?supplierId=sup_tulip", { as: admin });
    expect(one.body.schedules.map((v: { schedule: { id: string } }) => v.schedule.id)).toEqual([tulipId]);

    const bad = await call(adminSchedules.GET as AnyRoute, "/api/v1/admin/schedules?supplierId=../etc", { as: admin });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0]).toMatchObject({ path: "supplierId" });

    // A supplier's own list is still only its own.
    const mine = await call(schedules.GET as AnyRoute, "/api/v1/schedules", { as: rose });
    expect(mine.body.schedules.map((v: { schedule: { id: string } }) => v.schedule.id)).toEqual([roseId]);
  });
});
