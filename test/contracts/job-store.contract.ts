/**
 * Contract for `JobStore` (lib/ports.ts). Every adapter (SQLite, DynamoDB) runs
 * it; it checks only what the port promises.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { JobStore } from "@/lib/ports";
import { newExportRecord, type ExportRecord, type ExportStep } from "@/lib/exports/model";
import { ApiError } from "@/lib/core/errors";
import { newId } from "@/lib/core/ids";

type MakeJobStore = () => Promise<{ store: JobStore; cleanup: () => Promise<void> }>;

const T0 = Date.parse("2025-03-01T10:00:00.000Z");
const iso = (offsetSeconds: number) => new Date(T0 + offsetSeconds * 1000).toISOString();

function record(overrides: Partial<ExportRecord> = {}): ExportRecord {
  const createdAt = overrides.createdAt ?? iso(0);
  return newExportRecord(
    {
      id: newId("exp", Date.parse(createdAt)),
      supplierId: "sup_a",
      requestedBy: "usr_1",
      requesterEmail: "buyer@example.com",
      dataset: "inventory",
      params: { from: "2025-01-01", warehouses: ["ams", "rtm"], minStock: 0 },
      format: "csv",
      bom: true,
      notify: false,
      createdAt,
    },
    overrides,
  );
}

const step = (name: ExportStep["step"], at: string, detail: ExportStep["detail"] = {}): ExportStep => ({
  at,
  step: name,
  detail,
});

const ids = (rs: ExportRecord[]) => rs.map((r) => r.id);

export function testJobStore(make: MakeJobStore): void {
  describe("JobStore contract", () => {
    let store: JobStore;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ store, cleanup } = await make());
    });
    afterEach(async () => {
      await cleanup();
    });

    describe("create and get", () => {
      it("returns what was stored, field for field", async () => {
        const r = record({ supplierId: null, bom: false, notify: true, format: "parquet", archiveBytes: 5_000_000_000 });
        await store.createExport(r, [step("requested", r.createdAt, { dataset: "inventory" })]);
        expect(await store.getExport(r.id)).toEqual(r);
        expect(await store.listSteps(r.id)).toEqual([step("requested", r.createdAt, { dataset: "inventory" })]);
      });

      it("returns null for an unknown id", async () => {
        expect(await store.getExport(newId("exp"))).toBeNull();
        expect(await store.listSteps(newId("exp"))).toEqual([]);
      });

      it("refuses a duplicate id and keeps the original", async () => {
        const r = record();
        await store.createExport(r, [step("requested", r.createdAt)]);
        await expect(store.createExport({ ...r, dataset: "reviews" }, [step("queued", r.createdAt)])).rejects.toThrow();
        expect(await store.getExport(r.id)).toEqual(r);
        expect(await store.listSteps(r.id)).toEqual([step("requested", r.createdAt)]);
      });
    });

    describe("transition", () => {
      it("applies the patch and appends the steps, in order, when the status matches", async () => {
        const r = record();
        await store.createExport(r, [step("requested", iso(0)), step("queued", iso(0))]);
        const updated = await store.transition(
          r.id,
          { status: ["queued"] },
          { status: "running", startedAt: iso(5), updatedAt: iso(5), attempts: 1 },
          [step("started", iso(5), { attempt: 1 }), step("query_submitted", iso(6), { statementId: "st-1" })],
        );
        const expected = { ...r, status: "running", startedAt: iso(5), updatedAt: iso(5), attempts: 1 };
        expect(updated).toEqual(expected);
        expect(await store.getExport(r.id)).toEqual(expected);
        expect((await store.listSteps(r.id)).map((s) => s.step)).toEqual([
          "requested",
          "queued",
          "started",
          "query_submitted",
        ]);
        expect((await store.listSteps(r.id))[3]).toEqual(step("query_submitted", iso(6), { statementId: "st-1" }));
      });

      it("sets fields back to null", async () => {
        const r = record({ status: "failed", errorCode: "query_failed", errorMessage: "boom", finishedAt: iso(9) });
        await store.createExport(r, []);
        const updated = await store.transition(
          r.id,
          { status: ["failed"] },
          { status: "queued", errorCode: null, errorMessage: null, finishedAt: null, updatedAt: iso(10) },
        );
        expect(updated).toMatchObject({ status: "queued", errorCode: null, errorMessage: null, finishedAt: null });
      });

      it("returns null and changes nothing when the status does not match", async () => {
        const r = record({ status: "running" });
        await store.createExport(r, [step("requested", iso(0))]);
        const result = await store.transition(r.id, { status: ["queued", "archiving"] }, { status: "ready", updatedAt: iso(9) }, [
          step("ready", iso(9)),
        ]);
        expect(result).toBeNull();
        expect(await store.getExport(r.id)).toEqual(r);
        expect(await store.listSteps(r.id)).toEqual([step("requested", iso(0))]);
      });

      it("returns null for an unknown export", async () => {
        expect(await store.transition(newId("exp"), { status: ["queued"] }, { status: "running" })).toBeNull();
      });

      it("honours `unset`: the write applies once while the field is null", async () => {
        const r = record({ status: "ready", notify: true });
        await store.createExport(r, []);
        const cond = { status: ["ready"] as const, unset: ["notifiedAt"] as const };
        const first = await store.transition(r.id, cond, { notifiedAt: iso(20), updatedAt: iso(20) }, [
          step("notified", iso(20), { messageId: "m-1" }),
        ]);
        expect(first?.notifiedAt).toBe(iso(20));
        const second = await store.transition(r.id, cond, { notifiedAt: iso(30), updatedAt: iso(30) }, [
          step("notified", iso(30), { messageId: "m-2" }),
        ]);
        expect(second).toBeNull();
        expect((await store.getExport(r.id))?.notifiedAt).toBe(iso(20));
        expect(await store.listSteps(r.id)).toEqual([step("notified", iso(20), { messageId: "m-1" })]);
      });

      it("honours `unset` on statementId", async () => {
        const r = record({ status: "running", statementId: "st-existing" });
        await store.createExport(r, []);
        expect(
          await store.transition(r.id, { status: ["running"], unset: ["statementId"] }, { statementId: "st-new" }),
        ).toBeNull();
        expect((await store.getExport(r.id))?.statementId).toBe("st-existing");
      });

      it("lets exactly one of ten concurrent transitions from the same status win", async () => {
        const r = record();
        await store.createExport(r, []);
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            store.transition(r.id, { status: ["queued"] }, { status: "running", attempts: i + 1, updatedAt: iso(i + 1) }, [
              step("started", iso(i + 1), { attempt: i + 1 }),
            ]),
          ),
        );
        const winners = results.filter((x): x is ExportRecord => x !== null);
        expect(winners).toHaveLength(1);
        const winner = winners[0]!;
        expect(await store.getExport(r.id)).toEqual(winner);
        expect(await store.listSteps(r.id)).toEqual([step("started", winner.updatedAt, { attempt: winner.attempts })]);
      });
    });

    describe("steps", () => {
      it("appendSteps adds to the history in order without touching the record", async () => {
        const r = record();
        await store.createExport(r, [step("requested", iso(0))]);
        await store.appendSteps(r.id, [step("retrying", iso(1), { reason: "throttled", delaySeconds: 30 })]);
        await store.appendSteps(r.id, [step("queued", iso(2)), step("started", iso(3), { attempt: 2, resumed: true, note: null })]);
        expect(await store.listSteps(r.id)).toEqual([
          step("requested", iso(0)),
          step("retrying", iso(1), { reason: "throttled", delaySeconds: 30 }),
          step("queued", iso(2)),
          step("started", iso(3), { attempt: 2, resumed: true, note: null }),
        ]);
        expect(await store.getExport(r.id)).toEqual(r);
      });

      it("keeps the histories of different exports apart", async () => {
        const a = record({ createdAt: iso(0) });
        const b = record({ createdAt: iso(1) });
        await store.createExport(a, [step("requested", iso(0), { who: "a" })]);
        await store.createExport(b, [step("requested", iso(1), { who: "b" })]);
        await store.appendSteps(a.id, [step("queued", iso(2), { who: "a" })]);
        expect((await store.listSteps(b.id)).map((s) => s.detail.who)).toEqual(["b"]);
        expect((await store.listSteps(a.id)).map((s) => s.detail.who)).toEqual(["a", "a"]);
      });
    });

    describe("listExports", () => {
      /** a1..a3 for supplier A, b1..b2 for B, one all-suppliers export; createdAt ascending in this order. */
      async function seed() {
        const rows = [
          record({ supplierId: "sup_a", createdAt: iso(10), dataset: "inventory", status: "ready" }),
          record({ supplierId: "sup_b", createdAt: iso(20), dataset: "inventory", status: "queued" }),
          record({ supplierId: "sup_a", createdAt: iso(30), dataset: "reviews", status: "failed" }),
          record({ supplierId: null, createdAt: iso(40), dataset: "products", status: "ready" }),
          record({ supplierId: "sup_b", createdAt: iso(50), dataset: "reviews", status: "ready" }),
          record({ supplierId: "sup_a", createdAt: iso(60), dataset: "inventory", status: "ready" }),
        ];
        for (const r of rows) await store.createExport(r, []);
        const [a1, b1, a2, all, b2, a3] = rows as [ExportRecord, ExportRecord, ExportRecord, ExportRecord, ExportRecord, ExportRecord];
        return { a1, b1, a2, all, b2, a3 };
      }

      it("lists every supplier's exports newest first when supplierId is undefined", async () => {
        const { a1, b1, a2, all, b2, a3 } = await seed();
        const page = await store.listExports({ limit: 50 });
        expect(ids(page.items)).toEqual(ids([a3, b2, all, a2, b1, a1]));
        expect(page.items[0]).toEqual(a3);
        expect(page.nextCursor).toBeNull();
      });

      it("scopes to one supplier and never returns another supplier's rows", async () => {
        const { a1, a2, a3, b1, b2 } = await seed();
        expect(ids((await store.listExports({ supplierId: "sup_a", limit: 50 })).items)).toEqual(ids([a3, a2, a1]));
        expect(ids((await store.listExports({ supplierId: "sup_b", limit: 50 })).items)).toEqual(ids([b2, b1]));
        expect((await store.listExports({ supplierId: "sup_zzz", limit: 50 })).items).toEqual([]);
      });

      it("filters by status, dataset, from (inclusive) and to (exclusive), combined with the supplier", async () => {
        const { a1, b1, a2, a3, b2, all } = await seed();
        expect(ids((await store.listExports({ status: "ready", limit: 50 })).items)).toEqual(ids([a3, b2, all, a1]));
        expect(ids((await store.listExports({ supplierId: "sup_a", status: "failed", limit: 50 })).items)).toEqual(ids([a2]));
        expect(ids((await store.listExports({ dataset: "reviews", limit: 50 })).items)).toEqual(ids([b2, a2]));
        expect(ids((await store.listExports({ supplierId: "sup_a", dataset: "inventory", limit: 50 })).items)).toEqual(
          ids([a3, a1]),
        );
        expect(ids((await store.listExports({ from: iso(30), limit: 50 })).items)).toEqual(ids([a3, b2, all, a2]));
        expect(ids((await store.listExports({ to: iso(30), limit: 50 })).items)).toEqual(ids([b1, a1]));
        expect(ids((await store.listExports({ supplierId: "sup_a", from: iso(10), to: iso(60), limit: 50 })).items)).toEqual(
          ids([a2, a1]),
        );
      });

      it("filters by requester email, ignoring case, combined with the other filters", async () => {
        const { a1, b1 } = await seed();
        const mine = record({ supplierId: "sup_a", createdAt: iso(70), requesterEmail: "rose@suppliers.test", status: "ready" });
        await store.createExport(mine, []);
        expect(ids((await store.listExports({ requesterEmail: "ROSE@suppliers.test", limit: 50 })).items)).toEqual(ids([mine]));
        expect(ids((await store.listExports({ requesterEmail: "rose@suppliers.test", status: "failed", limit: 50 })).items)).toEqual([]);
        expect((await store.listExports({ requesterEmail: "buyer@example.com", limit: 50 })).items.length).toBe(6);
        expect(ids((await store.listExports({ requesterEmail: "buyer@example.com", to: iso(30), limit: 50 })).items)).toEqual(ids([b1, a1]));
        expect((await store.listExports({ requesterEmail: "nobody@example.com", limit: 50 })).items).toEqual([]);
      });

      it("walks every export exactly once across pages, newest first", async () => {
        const created: ExportRecord[] = [];
        for (let i = 0; i < 25; i++) {
          // Pairs share a createdAt, so the id tie-break matters.
          const r = record({ supplierId: i % 5 === 0 ? "sup_b" : "sup_a", createdAt: iso(Math.floor(i / 2) * 60) });
          created.push(r);
          await store.createExport(r, []);
        }
        const expected = [...created].sort((x, y) =>
          x.createdAt === y.createdAt ? (x.id < y.id ? 1 : -1) : x.createdAt < y.createdAt ? 1 : -1,
        );

        const seen: ExportRecord[] = [];
        const pageSizes: number[] = [];
        let cursor: string | undefined;
        for (let guard = 0; guard < 10; guard++) {
          const page = await store.listExports({ limit: 10, cursor });
          pageSizes.push(page.items.length);
          seen.push(...page.items);
          if (page.nextCursor === null) break;
          cursor = page.nextCursor;
        }
        expect(pageSizes).toEqual([10, 10, 5]);
        expect(new Set(ids(seen)).size).toBe(25);
        expect(ids(seen)).toEqual(ids(expected));

        // Scoped pagination stays inside the supplier.
        const scoped: ExportRecord[] = [];
        cursor = undefined;
        for (let guard = 0; guard < 10; guard++) {
          const page = await store.listExports({ supplierId: "sup_a", limit: 7, cursor });
          scoped.push(...page.items);
          if (page.nextCursor === null) break;
          cursor = page.nextCursor;
        }
        expect(ids(scoped)).toEqual(ids(expected.filter((r) => r.supplierId === "sup_a")));
      });

      it("returns a null cursor on a last page that is exactly full", async () => {
        for (let i = 0; i < 20; i++) await store.createExport(record({ createdAt: iso(i) }), []);
        const first = await store.listExports({ limit: 10 });
        expect(first.items).toHaveLength(10);
        expect(first.nextCursor).not.toBeNull();
        const second = await store.listExports({ limit: 10, cursor: first.nextCursor ?? undefined });
        expect(second.items).toHaveLength(10);
        expect(second.nextCursor).toBeNull();
      });

      it("rejects a malformed cursor as a bad request", async () => {
        await seed();
        for (const cursor of ["not a cursor", Buffer.from('{"x":1}').toString("base64url"), Buffer.from("[1,2]").toString("base64url")]) {
          const err = await store.listExports({ limit: 10, cursor }).then(
            () => null,
            (e: unknown) => e,
          );
          expect(err).toBeInstanceOf(ApiError);
          expect((err as ApiError).code).toBe("bad_request");
        }
      });
    });

    describe("countActive", () => {
      it("counts one supplier's queued, running and archiving exports only", async () => {
        for (const status of ["queued", "running", "archiving", "ready", "failed", "cancelled", "expired"] as const) {
          await store.createExport(record({ status, supplierId: "sup_count" }), []);
        }
        await store.createExport(record({ status: "queued", supplierId: "sup_other" }), []);
        await store.createExport(record({ status: "queued", supplierId: null }), []);
        expect(await store.countActive("sup_count")).toBe(3);
        expect(await store.countActive("sup_other")).toBe(1);
        expect(await store.countActive("sup_none")).toBe(0);
      });
    });

    describe("listQueuedBefore", () => {
      it("returns queued exports untouched since before the cutoff, least recently updated first, at most `limit`", async () => {
        const old1 = record({ status: "queued", updatedAt: iso(100), createdAt: iso(100) });
        const old2 = record({ status: "queued", updatedAt: iso(200), createdAt: iso(50) });
        const fresh = record({ status: "queued", updatedAt: iso(600) });
        const running = record({ status: "running", updatedAt: iso(10) });
        const failed = record({ status: "failed", updatedAt: iso(10) });
        for (const r of [fresh, old2, running, old1, failed]) await store.createExport(r, []);
        const before = iso(500);
        expect(ids(await store.listQueuedBefore(before, 10))).toEqual(ids([old1, old2]));
        expect(ids(await store.listQueuedBefore(before, 1))).toEqual(ids([old1]));
        expect(await store.listQueuedBefore(iso(99), 10)).toEqual([]);
      });
    });

    describe("listExpiredReady", () => {
      it("returns ready exports past expiry, oldest expiry first, at most `limit`", async () => {
        const due1 = record({ status: "ready", expiresAt: iso(100), createdAt: iso(3) });
        const due2 = record({ status: "ready", expiresAt: iso(200), createdAt: iso(1) });
        const due3 = record({ status: "ready", expiresAt: iso(300), createdAt: iso(2) });
        const notYet = record({ status: "ready", expiresAt: iso(1000) });
        const atNow = record({ status: "ready", expiresAt: iso(500) });
        const alreadyExpired = record({ status: "expired", expiresAt: iso(50) });
        const failed = record({ status: "failed", expiresAt: iso(50) });
        const noExpiry = record({ status: "ready", expiresAt: null });
        for (const r of [notYet, due3, alreadyExpired, due1, atNow, failed, noExpiry, due2]) await store.createExport(r, []);

        const now = iso(500);
        expect(ids(await store.listExpiredReady(now, 10))).toEqual(ids([due1, due2, due3]));
        expect(ids(await store.listExpiredReady(now, 2))).toEqual(ids([due1, due2]));
        expect(await store.listExpiredReady(iso(99), 10)).toEqual([]);
      });
    });

    describe("archive lease", () => {
      const lease = (owner: string, expiresAt: string, bytesDone = 0) => ({ exportId: "exp_lease", owner, expiresAt, bytesDone, bytesTotal: 1000, updatedAt: iso(0) });

      it("one owner at a time: a live lease refuses others, its owner renews it with progress, anyone takes an expired one", async () => {
        expect(await store.getArchiveLease("exp_lease")).toBeNull();
        expect(await store.putArchiveLease(lease("a", iso(60)), iso(0))).toBe(true);
        expect(await store.putArchiveLease(lease("b", iso(70)), iso(10))).toBe(false);
        expect(await store.getArchiveLease("exp_lease")).toEqual({ ...lease("a", iso(60)), uploadId: null, checkpoint: null });

        expect(await store.putArchiveLease(lease("a", iso(80), 400), iso(20))).toBe(true);
        expect(await store.getArchiveLease("exp_lease")).toMatchObject({ owner: "a", expiresAt: iso(80), bytesDone: 400, bytesTotal: 1000 });
        expect(await store.putArchiveLease(lease("b", iso(90)), iso(79))).toBe(false);

        // At the expiry instant the lease is over.
        expect(await store.putArchiveLease(lease("b", iso(140)), iso(80))).toBe(true);
        expect(await store.putArchiveLease(lease("a", iso(150), 999), iso(81))).toBe(false);
        expect(await store.getArchiveLease("exp_lease")).toMatchObject({ owner: "b", bytesDone: 0 });
      });

      it("keeps the resumable archive's upload id and checkpoint: only the owner writes them, the next owner reads them", async () => {
        // A checkpoint the size a few hundred entries give (DynamoDB items stop at 400 KB).
        const checkpoint = JSON.stringify({ version: 1, nextPart: 7, written: Array.from({ length: 300 }, (_, i) => [i * 7919, i, i, i, 8, -1]) });
        const withCheckpoint = (owner: string, expiresAt: string, cp: string | null) => ({ ...lease(owner, expiresAt, 500), uploadId: "upload-1", checkpoint: cp });
        expect(await store.putArchiveLease(withCheckpoint("a", iso(60), checkpoint), iso(0))).toBe(true);
        expect(await store.getArchiveLease("exp_lease")).toEqual(withCheckpoint("a", iso(60), checkpoint));
        // Another delivery cannot overwrite the live owner's checkpoint.
        expect(await store.putArchiveLease(withCheckpoint("b", iso(70), "{}"), iso(10))).toBe(false);
        expect((await store.getArchiveLease("exp_lease"))?.checkpoint).toBe(checkpoint);
        // The owner hands over (expires now); the next delivery takes it at once and carries the checkpoint on.
        expect(await store.putArchiveLease(withCheckpoint("a", iso(20), checkpoint), iso(20))).toBe(true);
        const found = await store.getArchiveLease("exp_lease");
        expect(await store.putArchiveLease({ ...found!, owner: "b", expiresAt: iso(80) }, iso(20))).toBe(true);
        expect(await store.getArchiveLease("exp_lease")).toMatchObject({ owner: "b", uploadId: "upload-1", checkpoint, bytesDone: 500 });
        // A lease written without them reads back as null; deleting the lease deletes them.
        expect(await store.putArchiveLease(lease("b", iso(90)), iso(30))).toBe(true);
        expect(await store.getArchiveLease("exp_lease")).toMatchObject({ uploadId: null, checkpoint: null });
        await store.putArchiveLease(withCheckpoint("b", iso(90), checkpoint), iso(30));
        await store.deleteArchiveLease("exp_lease");
        expect(await store.getArchiveLease("exp_lease")).toBeNull();
      });

      it("two takers racing for a free lease: exactly one wins", async () => {
        const results = await Promise.all(["a", "b", "c", "d"].map((owner) => store.putArchiveLease(lease(owner, iso(60)), iso(0))));
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = ["a", "b", "c", "d"][results.indexOf(true)];
        expect((await store.getArchiveLease("exp_lease"))?.owner).toBe(winner);
      });

      it("delete forgets the lease (and is a no-op when there is none); leases are per export", async () => {
        await store.putArchiveLease(lease("a", iso(60)), iso(0));
        await store.putArchiveLease({ ...lease("z", iso(60)), exportId: "exp_other" }, iso(0));
        await store.deleteArchiveLease("exp_lease");
        await store.deleteArchiveLease("exp_lease");
        expect(await store.getArchiveLease("exp_lease")).toBeNull();
        expect((await store.getArchiveLease("exp_other"))?.owner).toBe("z");
        expect(await store.putArchiveLease(lease("b", iso(60)), iso(0))).toBe(true);
      });

      it("a lease is not an export: lists, counts and reads by id ignore it", async () => {
        const rec = record({ status: "archiving" });
        await store.createExport(rec, []);
        await store.putArchiveLease({ ...lease("a", iso(60)), exportId: rec.id }, iso(0));
        expect(ids((await store.listExports({ limit: 10 })).items)).toEqual([rec.id]);
        expect(ids((await store.listExports({ supplierId: "sup_a", limit: 10 })).items)).toEqual([rec.id]);
        expect(await store.countActive("sup_a")).toBe(1);
        expect((await store.getExport(rec.id))?.status).toBe("archiving");
      });
    });
  });
}
