/**
 * Contract for `ScheduleStore` (lib/ports.ts), run against SQLite and
 * DynamoDB (dynalite). The double-tick test is the one the scheduler relies
 * on: of two writers conditioned on the same `nextRunAt`, exactly one wins.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ScheduleStore } from "@/lib/ports";
import { newId } from "@/lib/core/ids";
import type { DestinationDeliveryRecord, DestinationRecord, ScheduleRecord } from "@/lib/schedules/model";

type MakeScheduleStore = () => Promise<{ store: ScheduleStore; cleanup: () => Promise<void> }>;

export function scheduleRecord(overrides: Partial<ScheduleRecord> = {}): ScheduleRecord {
  return {
    id: newId("sch"),
    supplierId: "sup_rose",
    createdBy: "usr_rose",
    ownerEmail: "rose@suppliers.test",
    name: "Morning stock",
    request: { dataset: "product_inventory", params: {}, format: "csv", bom: false, notify: false },
    cadence: { kind: "daily", time: "06:00" },
    timezone: "Europe/Amsterdam",
    incremental: true,
    destinationIds: [],
    status: "active",
    nextRunAt: "2026-03-01T05:00:00.000Z",
    cursor: null,
    pendingRun: null,
    lastRunAt: null,
    lastExportId: null,
    lastRunStatus: null,
    lastRunError: null,
    version: 1,
    createdAt: "2026-02-01T10:00:00.000Z",
    updatedAt: "2026-02-01T10:00:00.000Z",
    ...overrides,
  };
}

function destination(overrides: Partial<DestinationRecord> = {}): DestinationRecord {
  return {
    id: newId("dst"),
    supplierId: "sup_rose",
    name: "ERP drop",
    config: { kind: "sftp", host: "sftp.example.com", port: 22, username: "rose", directory: "in", hostKeyFingerprint: null, auth: "password" },
    sealedCredentials: "enc:v1:x.y.z",
    createdBy: "usr_rose",
    createdAt: "2026-02-01T10:00:00.000Z",
    ...overrides,
  };
}

function delivery(destinationId: string, overrides: Partial<DestinationDeliveryRecord> = {}): DestinationDeliveryRecord {
  return {
    id: `ddl_${newId("x").slice(2)}`,
    destinationId,
    supplierId: "sup_rose",
    exportId: newId("exp"),
    scheduleId: null,
    status: "pending",
    attempts: 0,
    log: [],
    location: null,
    nextAttemptAt: null,
    failureNotifiedAt: null,
    createdAt: "2026-02-01T10:00:00.000Z",
    updatedAt: "2026-02-01T10:00:00.000Z",
    ...overrides,
  };
}

export function testScheduleStore(make: MakeScheduleStore): void {
  describe("ScheduleStore contract", () => {
    let store: ScheduleStore;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ store, cleanup } = await make());
    });
    afterEach(async () => {
      await cleanup();
    });

    it("stores schedules, lists a supplier's newest first, deletes only its own", async () => {
      const a = scheduleRecord({ createdAt: "2026-02-01T10:00:00.000Z" });
      const b = scheduleRecord({ createdAt: "2026-02-02T10:00:00.000Z", cadence: { kind: "cron", expression: "*/15 * * * *" } });
      const other = scheduleRecord({ supplierId: "sup_tulip" });
      for (const s of [a, b, other]) await store.createSchedule(s);
      await expect(store.createSchedule(a)).rejects.toMatchObject({ code: "conflict" });
      expect(await store.getSchedule(b.id)).toEqual(b);
      expect((await store.listSchedules("sup_rose")).map((s) => s.id)).toEqual([b.id, a.id]);
      expect(await store.deleteSchedule(other.id, "sup_rose")).toBe(false);
      expect(await store.deleteSchedule(a.id, "sup_rose")).toBe(true);
      expect(await store.getSchedule(a.id)).toBeNull();
      expect((await store.listSchedules("sup_tulip")).map((s) => s.id)).toEqual([other.id]);
    });

    it("lists due active schedules soonest first, the boundary instant included, paused ones never", async () => {
      const early = scheduleRecord({ nextRunAt: "2026-03-01T04:00:00.000Z" });
      const atNow = scheduleRecord({ nextRunAt: "2026-03-01T05:00:00.000Z" });
      const later = scheduleRecord({ nextRunAt: "2026-03-01T05:00:00.001Z" });
      const paused = scheduleRecord({ status: "paused", nextRunAt: null });
      const otherSupplier = scheduleRecord({ supplierId: "sup_tulip", nextRunAt: "2026-03-01T04:30:00.000Z" });
      for (const s of [early, atNow, later, paused, otherSupplier]) await store.createSchedule(s);
      const due = await store.listDue("2026-03-01T05:00:00.000Z", 10);
      expect(due.map((s) => s.id)).toEqual([early.id, otherSupplier.id, atNow.id]);
      expect((await store.listDue("2026-03-01T05:00:00.000Z", 1)).map((s) => s.id)).toEqual([early.id]);
    });

    it("a write conditioned on nextRunAt applies once: two ticks claiming one slot, one wins", async () => {
      const s = scheduleRecord();
      await store.createSchedule(s);
      const claim = (by: string) =>
        store.updateSchedule(s.id, { nextRunAt: s.nextRunAt }, { nextRunAt: "2026-03-02T05:00:00.000Z", pendingRun: { slot: s.nextRunAt!, windowFrom: null, windowTo: by, exportId: null, claimedAt: by } });
      const results = await Promise.all([claim("2026-03-01T05:00:01.000Z"), claim("2026-03-01T05:00:02.000Z"), claim("2026-03-01T05:00:03.000Z")]);
      const winners = results.filter((r) => r !== null);
      expect(winners).toHaveLength(1);
      const stored = await store.getSchedule(s.id);
      expect(stored).toEqual(winners[0]);
      expect(stored?.version).toBe(2);
      expect(stored?.nextRunAt).toBe("2026-03-02T05:00:00.000Z");
      // The slot moved on: it is no longer due, and a stale claim on the old slot fails.
      expect(await store.listDue("2026-03-01T06:00:00.000Z", 10)).toEqual([]);
      expect(await store.updateSchedule(s.id, { nextRunAt: s.nextRunAt }, { name: "late" })).toBeNull();
    });

    it("compares on version, clears nextRunAt on pause (leaving the due list) and restores it on resume", async () => {
      const s = scheduleRecord();
      await store.createSchedule(s);
      expect(await store.updateSchedule(s.id, { version: 7 }, { name: "stale edit" })).toBeNull();
      const paused = await store.updateSchedule(s.id, { version: 1 }, { status: "paused", nextRunAt: null, name: "Paused" });
      expect(paused).toMatchObject({ status: "paused", nextRunAt: null, name: "Paused", version: 2 });
      expect(await store.listDue("2030-01-01T00:00:00.000Z", 10)).toEqual([]);
      expect(await store.updateSchedule(s.id, { nextRunAt: null }, { status: "active", nextRunAt: "2026-03-05T05:00:00.000Z" })).toMatchObject({ version: 3 });
      expect((await store.listDue("2030-01-01T00:00:00.000Z", 10)).map((x) => x.id)).toEqual([s.id]);
      // An unconditioned write still applies (and bumps the version).
      expect(await store.updateSchedule(s.id, {}, { cursor: "2026-03-05T05:00:00.000Z" })).toMatchObject({ version: 4, cursor: "2026-03-05T05:00:00.000Z" });
      expect(await store.updateSchedule(newId("sch"), {}, { name: "x" })).toBeNull();
    });

    it("stores destinations, updates only the owner's config, deletes only its own", async () => {
      const a = destination({ createdAt: "2026-02-01T10:00:00.000Z" });
      const b = destination({ createdAt: "2026-02-02T10:00:00.000Z", sealedCredentials: null, config: { kind: "s3", bucket: "rose-drop", prefix: "in/", region: "eu-west-1", roleArn: null, externalId: "ext" } });
      for (const d of [a, b]) await store.createDestination(d);
      expect(await store.getDestination(b.id)).toEqual(b);
      expect((await store.listDestinations("sup_rose")).map((d) => d.id)).toEqual([b.id, a.id]);
      expect(await store.listDestinations("sup_tulip")).toEqual([]);
      const pinned = { ...a.config, hostKeyFingerprint: "SHA256:abc" } as DestinationRecord["config"];
      expect(await store.updateDestinationConfig(a.id, "sup_tulip", pinned)).toBe(false);
      expect(await store.updateDestinationConfig(a.id, "sup_rose", pinned)).toBe(true);
      expect((await store.getDestination(a.id))?.config).toEqual(pinned);
      expect(await store.deleteDestination(a.id, "sup_tulip")).toBe(false);
      expect(await store.deleteDestination(a.id, "sup_rose")).toBe(true);
      expect(await store.getDestination(a.id)).toBeNull();
    });

    it("creates a delivery once, records attempts with compare-and-set, lists by export and by destination", async () => {
      const d = destination();
      await store.createDestination(d);
      const first = delivery(d.id, { createdAt: "2026-02-01T10:00:00.000Z" });
      const second = delivery(d.id, { createdAt: "2026-02-01T11:00:00.000Z", exportId: first.exportId });
      expect(await store.createDelivery(first)).toBe(true);
      expect(await store.createDelivery(first)).toBe(false);
      expect(await store.createDelivery(second)).toBe(true);
      const patch = { attempts: 1, status: "delivered" as const, log: [{ at: "2026-02-01T10:00:01.000Z", ok: true, message: "wrote in/a.zip" }], location: "in/a.zip" };
      const both = await Promise.all([store.recordDeliveryAttempt(first.id, 0, patch), store.recordDeliveryAttempt(first.id, 0, patch)]);
      expect(both.filter(Boolean)).toHaveLength(1);
      expect(await store.getDelivery(first.id)).toEqual({ ...first, ...patch });
      expect(await store.recordDeliveryAttempt(first.id, 0, { attempts: 1 })).toBe(false);
      expect((await store.listDeliveriesForExport(first.exportId)).map((x) => x.id)).toEqual([first.id, second.id]);
      expect((await store.listDeliveries(d.id, 1)).map((x) => x.id)).toEqual([second.id]);
      expect(await store.getDelivery("ddl_missing")).toBeNull();
    });
  });
}
