/**
 * Schedule and destination changes reach the audit log (issue 15: "schedules
 * and destinations changed"), through the real route modules on a local backend.
 */
import fs from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { AppDeps } from "@/lib/config";
import type { UserRecord } from "@/lib/ports";
import { createUser } from "@/lib/users/users";
import { apiClient, type AnyRoute } from "@/test/support/api-client";
import { makeLocalDeps } from "@/test/support/local-env";
import * as schedules from "@/app/api/v1/schedules/route";
import * as schedule from "@/app/api/v1/schedules/[id]/route";
import * as pause from "@/app/api/v1/schedules/[id]/pause/route";
import * as resume from "@/app/api/v1/schedules/[id]/resume/route";
import * as destinations from "@/app/api/v1/destinations/route";
import * as destination from "@/app/api/v1/destinations/[id]/route";
import * as auditRoute from "@/app/api/v1/audit/route";

const state = vi.hoisted(() => ({ deps: undefined as AppDeps | undefined }));
vi.mock("@/lib/config", async (importOriginal) => ({
  ...(await importOriginal<typeof import("@/lib/config")>()),
  getDeps: () => state.deps!,
}));

let deps: AppDeps & { dataDir: string };
const { call } = apiClient(() => deps.config.authSecret);
let owner: UserRecord;
const UA = { "user-agent": "schedules-audit-test/1.0", "x-forwarded-for": "198.51.100.7" };

beforeAll(async () => {
  deps = await makeLocalDeps("/nonexistent/warehouse.duckdb");
  state.deps = deps;
  owner = await createUser(deps.users, { email: "olive@rose.test", password: "owner-password-123", role: "supplier", supplierId: "sup_rose", supplierName: "Rose Supply Co" });
});
afterAll(async () => {
  await deps.close();
  await fs.rm(deps.dataDir, { recursive: true, force: true });
});

describe("audit of schedules and destinations", () => {
  it("records create, edit, pause, resume and delete of a schedule, and add and remove of a destination, with who and from where", async () => {
    const as = (await deps.users.getUser(owner.id))!;
    const dest = await call(destinations.POST as AnyRoute, "/api/v1/destinations", {
      method: "POST", as, headers: UA,
      body: { kind: "sftp", name: "ERP", host: "sftp.example.com", username: "rose", password: "hunter2-very-secret" },
    });
    expect(dest.status, dest.text).toBe(201);
    const created = await call(schedules.POST as AnyRoute, "/api/v1/schedules", {
      method: "POST", as, headers: UA,
      body: { name: "Daily stock", request: { dataset: "product_inventory", params: {} }, cadence: { kind: "daily", time: "06:00" }, timezone: "Europe/Amsterdam" },
    });
    expect(created.status, created.text).toBe(201);
    const id = created.body.schedule.id as string;
    const params = { id };
    expect((await call(schedule.PATCH as AnyRoute, `/api/v1/schedules/${id}`, { method: "PATCH", as, headers: UA, params, body: { name: "Morning stock" } })).status).toBe(200);
    expect((await call(pause.POST as AnyRoute, `/api/v1/schedules/${id}/pause`, { method: "POST", as, headers: UA, params })).status).toBe(200);
    expect((await call(resume.POST as AnyRoute, `/api/v1/schedules/${id}/resume`, { method: "POST", as, headers: UA, params })).status).toBe(200);
    expect((await call(schedule.DELETE as AnyRoute, `/api/v1/schedules/${id}`, { method: "DELETE", as, headers: UA, params })).status).toBe(204);
    const destId = dest.body.destination.id as string;
    expect((await call(destination.DELETE as AnyRoute, `/api/v1/destinations/${destId}`, { method: "DELETE", as, headers: UA, params: { id: destId } })).status).toBe(204);

    const page = await call(auditRoute.GET as AnyRoute, "/api/v1/audit?limit=100", { as });
    expect(page.status).toBe(200);
    type Entry = { action: string; target: string | null; detail: string | null; ip: string | null; userAgent: string | null; actorEmail: string };
    const items = (page.body.items as Entry[]).filter((e) => e.action === "schedule.changed" || e.action === "destination.changed");
    const seen = items.map((e) => `${e.action} ${e.target} ${e.detail}`).sort();
    expect(seen).toEqual(
      [
        `destination.changed destination:${destId} created (sftp)`,
        `destination.changed destination:${destId} deleted`,
        `schedule.changed schedule:${id} created`,
        `schedule.changed schedule:${id} edited`,
        `schedule.changed schedule:${id} paused`,
        `schedule.changed schedule:${id} resumed`,
        `schedule.changed schedule:${id} deleted`,
      ].sort(),
    );
    expect(items.every((e) => e.actorEmail === "olive@rose.test" && e.ip === "198.51.100.7" && e.userAgent === "schedules-audit-test/1.0")).toBe(true);
  });
});
