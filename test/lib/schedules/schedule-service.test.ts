/** The schedule and destination service on real local stores: validation, ownership, state changes. */
import fs from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AppDeps } from "@/lib/config";
import {
  createDestination,
  createSchedule,
  deleteDestination,
  getSchedule,
  listDestinations,
  pauseSchedule,
  resumeSchedule,
  runScheduleNow,
  updateSchedule,
  withSchedules,
} from "@/lib/schedules/service";
import { admin, makeLocalDeps, rose, tulip } from "@/test/support/local-env";

let deps: AppDeps & { dataDir: string };
let clock: Date;
const s = () => withSchedules(deps);
const base = {
  name: "Daily stock",
  request: { dataset: "product_inventory", params: { warehouse: "Lisse DC" } },
  cadence: { kind: "daily", time: "06:00" },
  timezone: "Europe/Amsterdam",
};

beforeEach(async () => {
  deps = await makeLocalDeps("/nonexistent/warehouse.duckdb");
  clock = new Date("2026-03-01T04:00:00.000Z");
  deps.now = () => new Date(clock);
});
afterEach(async () => {
  await deps.close();
  await fs.rm(deps.dataDir, { recursive: true, force: true });
});

describe("schedule validation", () => {
  it("answers bad input with a 4xx naming the field, never storing anything", async () => {
    const cases: [unknown, string, RegExp | string][] = [
      [{ ...base, request: { dataset: "nope" } }, "validation_failed", "dataset"],
      [{ ...base, request: { dataset: "product_inventory", params: { colour: "red" } } }, "validation_failed", "request.params"],
      [{ ...base, request: { dataset: "product_detail" }, incremental: true }, "validation_failed", "incremental"],
      [{ ...base, cadence: { kind: "cron", expression: "99 * * * *" } }, "validation_failed", "cadence"],
      [{ ...base, cadence: { kind: "daily", time: "25:00" } }, "validation_failed", "cadence.time"],
      [{ ...base, timezone: "Europe/Atlantis" }, "validation_failed", "timezone"],
      [{ ...base, destinationIds: ["dst_0000000000aaaaaaaaaaaa"] }, "validation_failed", "destinationIds"],
      [{ ...base, request: { ...base.request, supplierId: "sup_tulip" } }, "forbidden", ""],
      [{ ...base, extra: 1 }, "validation_failed", ""],
    ];
    for (const [input, code, path] of cases) {
      const err = await createSchedule(s(), rose, input).catch((e: unknown) => e);
      expect(err, JSON.stringify(input)).toMatchObject({ code });
      if (path) expect(JSON.stringify((err as { details?: unknown }).details), JSON.stringify(input)).toContain(path);
    }
    expect(await deps.schedules!.store.listSchedules("sup_rose")).toEqual([]);
  });

  it("keeps schedules and destinations to their supplier: another supplier gets 404, an admin 403", async () => {
    const { schedule } = await createSchedule(s(), rose, base);
    await expect(getSchedule(s(), tulip, schedule.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(runScheduleNow(s(), tulip, schedule.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(createSchedule(s(), admin, base)).rejects.toMatchObject({ code: "forbidden" });
    const tulipDest = await createDestination(s(), tulip, { kind: "s3", name: "t", bucket: "tulip-lake", region: "eu-west-1" });
    await expect(createSchedule(s(), rose, { ...base, destinationIds: [tulipDest.id] })).rejects.toMatchObject({ code: "validation_failed" });
    await expect(deleteDestination(s(), rose, tulipDest.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(getSchedule(s(), rose, "../../etc")).rejects.toMatchObject({ code: "not_found" });
  });
});

describe("destinations", () => {
  it("seals SFTP passwords at rest and never returns them; S3 gets an external id per destination", async () => {
    const sftp = await createDestination(s(), rose, { kind: "sftp", name: "ERP", host: "sftp.example.com", username: "rose", password: "hunter2-very-secret" });
    expect(JSON.stringify(sftp)).not.toContain("hunter2");
    expect(JSON.stringify(await listDestinations(s(), rose))).not.toContain("hunter2");
    const stored = await deps.schedules!.store.getDestination(sftp.id);
    expect(stored!.sealedCredentials).toMatch(/^enc:v1:/);
    expect(stored!.sealedCredentials).not.toContain("hunter2");
    const a = await createDestination(s(), rose, { kind: "s3", name: "a", bucket: "rose-lake", region: "eu-west-1" });
    const b = await createDestination(s(), rose, { kind: "s3", name: "b", bucket: "rose-lake", region: "eu-west-1" });
    expect(a.config).toMatchObject({ kind: "s3", externalId: expect.stringMatching(/^pep-sup_rose-[0-9a-f]{24}$/) });
    expect(a.config.kind === "s3" && b.config.kind === "s3" && a.config.externalId !== b.config.externalId).toBe(true);
    // In use by a schedule: not removable.
    await createSchedule(s(), rose, { ...base, destinationIds: [a.id] });
    await expect(deleteDestination(s(), rose, a.id)).rejects.toMatchObject({ code: "conflict" });
    await deleteDestination(s(), rose, b.id);
  });
});

describe("schedule state", () => {
  it("pause clears the next run; resume starts from the next slot after now (missed ones are not run)", async () => {
    const { schedule } = await createSchedule(s(), rose, base);
    expect(schedule.nextRunAt).toBe("2026-03-01T05:00:00.000Z");
    expect((await pauseSchedule(s(), rose, schedule.id)).schedule).toMatchObject({ status: "paused", nextRunAt: null });
    await expect(runScheduleNow(s(), rose, schedule.id)).rejects.toMatchObject({ code: "conflict" });
    clock = new Date("2026-03-04T12:00:00.000Z");
    expect((await resumeSchedule(s(), rose, schedule.id)).schedule).toMatchObject({ status: "active", nextRunAt: "2026-03-05T05:00:00.000Z" });
  });

  it("Run now makes it due at once; a second Run now while the run is going is a 409", async () => {
    const { schedule } = await createSchedule(s(), rose, base);
    const due = await runScheduleNow(s(), rose, schedule.id);
    expect(due.schedule.nextRunAt).toBe(clock.toISOString());
    const { tickSchedules } = await import("@/lib/schedules/runs");
    await tickSchedules(deps);
    await expect(runScheduleNow(s(), rose, schedule.id)).rejects.toMatchObject({ code: "conflict", message: expect.stringMatching(/in progress/) });
  });

  it("an edit of the time recomputes the next run; a new dataset starts the cursor over; a stale edit is a 409", async () => {
    const { schedule } = await createSchedule(s(), rose, { ...base, incremental: true });
    await deps.schedules!.store.updateSchedule(schedule.id, {}, { cursor: "2026-02-28T05:00:00.000Z" });
    const retimed = await updateSchedule(s(), rose, schedule.id, { cadence: { kind: "weekly", time: "07:30", weekday: 3 } });
    expect(retimed.schedule).toMatchObject({ nextRunAt: "2026-03-04T06:30:00.000Z", cursor: "2026-02-28T05:00:00.000Z" });
    const moved = await updateSchedule(s(), rose, schedule.id, { request: { dataset: "customer_reviews", params: { ratingMin: 4 } } });
    expect(moved.schedule).toMatchObject({ cursor: null, request: { dataset: "customer_reviews", params: { ratingMin: 4 } } });
    const real = deps.schedules!.store.updateSchedule.bind(deps.schedules!.store);
    deps.schedules!.store.updateSchedule = async (id, cond, patch) => (cond.version !== undefined ? null : real(id, cond, patch));
    await expect(updateSchedule(s(), rose, schedule.id, { name: "x" })).rejects.toMatchObject({ code: "conflict" });
  });
});
