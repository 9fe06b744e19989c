/**
 * Record retention on SQLite: the same instants as DynamoDB's TTL (the
 * contract), and what TTL does there, done here: a due record goes, with its
 * steps, when the store next writes a new export; live and not-yet-due ones stay.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openSqlite } from "@/lib/adapters/local/sqlite";
import { SqliteJobStore } from "@/lib/adapters/local/sqlite-job-store";
import { newId } from "@/lib/core/ids";
import { newExportRecord, type ExportRecord } from "@/lib/exports/model";
import { testRecordRetention } from "../../../contracts/record-retention.contract";

async function open(recordRetentionDays: number) {
  const dir = await mkdtemp(path.join(os.tmpdir(), "pep-retention-"));
  const db = openSqlite(path.join(dir, "jobs.sqlite"));
  return { db, store: new SqliteJobStore(db, { recordRetentionDays }), cleanup: async () => (db.close(), rm(dir, { recursive: true, force: true })) };
}

describe("SqliteJobStore", () => {
  testRecordRetention(async (days) => {
    const { db, store, cleanup } = await open(days);
    return {
      store,
      instantOf: async (id) => (db.prepare("SELECT purge_after FROM pe_exports WHERE id = ?").get(id) as { purge_after: number | null }).purge_after,
      cleanup,
    };
  });

  const record = (createdAt: string): ExportRecord =>
    newExportRecord({ id: newId("exp", Date.parse(createdAt)), supplierId: "sup_a", requestedBy: "usr_1", requesterEmail: "a@b.test", dataset: "product_inventory", params: {}, format: "csv", bom: false, notify: false, createdAt });

  it("forgets finished records of every status (and their steps) once due, keeping live and not-yet-due ones", async () => {
    const { store, cleanup } = await open(1);
    try {
      const day1 = "2025-03-01T10:00:00.000Z";
      const step = { at: day1, step: "requested" as const, detail: {} };
      const [failed, cancelled, expired, live, recent] = await Promise.all(
        ["00", "01", "02", "03", "04"].map(async (s) => {
          const r = record(`2025-03-01T10:00:${s}.000Z`);
          await store.createExport(r, [step]);
          return r;
        }),
      );
      await store.transition(failed!.id, { status: ["queued"] }, { status: "failed", finishedAt: day1, updatedAt: day1, errorCode: "query_failed", errorMessage: "x" });
      await store.transition(cancelled!.id, { status: ["queued"] }, { status: "cancelled", finishedAt: day1, updatedAt: day1 });
      await store.transition(expired!.id, { status: ["queued"] }, { status: "ready", finishedAt: day1, updatedAt: day1, expiresAt: "2025-03-02T10:00:00.000Z" });
      await store.transition(expired!.id, { status: ["ready"] }, { status: "expired", updatedAt: "2025-03-02T10:00:00.000Z" });
      await store.transition(recent!.id, { status: ["queued"] }, { status: "failed", finishedAt: "2025-03-02T09:00:00.000Z", updatedAt: day1, errorCode: "query_failed", errorMessage: "x" });

      // Day 2, 10:00:01: failed and cancelled (finished day 1 10:00) are due; expired is due on day 3; recent at day 3 09:00.
      await store.createExport(record("2025-03-02T10:00:01.000Z"), []);
      expect(await store.getExport(failed!.id)).toBeNull();
      expect(await store.listSteps(failed!.id)).toEqual([]);
      expect(await store.getExport(cancelled!.id)).toBeNull();
      expect(await store.getExport(expired!.id)).not.toBeNull();
      expect(await store.getExport(recent!.id)).not.toBeNull();

      // Day 4: everything finished is gone; the live export stays, its history intact.
      await store.createExport(record("2025-03-04T00:00:00.000Z"), []);
      expect(await store.getExport(expired!.id)).toBeNull();
      expect(await store.getExport(recent!.id)).toBeNull();
      expect((await store.getExport(live!.id))?.status).toBe("queued");
      expect(await store.listSteps(live!.id)).toEqual([step]);
    } finally {
      await cleanup();
    }
  });

  it("still refuses to delete the steps of a record that exists", async () => {
    const { db, store, cleanup } = await open(1);
    try {
      const r = record("2025-03-01T10:00:00.000Z");
      await store.createExport(r, [{ at: r.createdAt, step: "requested", detail: {} }]);
      expect(() => db.prepare("DELETE FROM pe_export_steps WHERE export_id = ?").run(r.id)).toThrow(/append-only/);
    } finally {
      await cleanup();
    }
  });
});
