/**
 * Contract for how long a job store keeps export records
 * (lib/adapters/record-retention.ts), run against SQLite and DynamoDB: every
 * finished status gets the same "forget after" instant in both (DynamoDB's
 * TTL attribute, SQLite's purge_after), live records none. `instantOf` reads
 * the adapter's own field, in epoch seconds.
 */
import { describe, expect, it } from "vitest";
import { newId } from "@/lib/core/ids";
import { newExportRecord, type ExportRecord } from "@/lib/exports/model";
import type { JobStore } from "@/lib/ports";

export type MakeRetentionStore = (recordRetentionDays: number) => Promise<{
  store: JobStore;
  /** The record's forget-after instant as the adapter stores it, or null when it has none. */
  instantOf(id: string): Promise<number | null>;
  cleanup(): Promise<void>;
}>;

const DAYS = 30;
const RETENTION = DAYS * 86_400;
const T = (iso: string) => Date.parse(iso) / 1000;

function record(createdAt = "2025-03-01T10:00:00.000Z"): ExportRecord {
  return newExportRecord({
    id: newId("exp", Date.parse(createdAt)),
    supplierId: "sup_a",
    requestedBy: "usr_1",
    requesterEmail: "buyer@example.com",
    dataset: "product_inventory",
    params: {},
    format: "csv",
    bom: false,
    notify: true,
    createdAt,
  });
}

export function testRecordRetention(make: MakeRetentionStore): void {
  describe("record retention contract", () => {
    it("gives every finished status an instant and live records none; a retry clears it and finishing again sets it", async () => {
      const { store, instantOf, cleanup } = await make(DAYS);
      try {
        const finishedAt = "2025-03-01T10:05:00.000Z";
        const expiresAt = "2025-03-08T10:05:00.000Z";
        // queued -> running -> archiving: live, no instant.
        const ready = record();
        await store.createExport(ready, []);
        expect(await instantOf(ready.id)).toBeNull();
        await store.transition(ready.id, { status: ["queued"] }, { status: "running", startedAt: finishedAt, updatedAt: finishedAt });
        expect(await instantOf(ready.id)).toBeNull();
        await store.transition(ready.id, { status: ["running"] }, { status: "archiving", updatedAt: finishedAt });
        expect(await instantOf(ready.id)).toBeNull();
        // ready: from the archive's expiry; expired keeps it.
        await store.transition(ready.id, { status: ["archiving"] }, { status: "ready", finishedAt, expiresAt, updatedAt: finishedAt });
        expect(await instantOf(ready.id)).toBe(T(expiresAt) + RETENTION);
        await store.transition(ready.id, { status: ["ready"] }, { status: "expired", updatedAt: "2025-03-08T11:00:00.000Z" });
        expect(await instantOf(ready.id)).toBe(T(expiresAt) + RETENTION);

        // failed and cancelled: from when they finished.
        const failed = record("2025-03-01T10:00:01.000Z");
        await store.createExport(failed, []);
        await store.transition(failed.id, { status: ["queued"] }, { status: "failed", finishedAt, updatedAt: finishedAt, errorCode: "query_failed", errorMessage: "x" });
        expect(await instantOf(failed.id)).toBe(T(finishedAt) + RETENTION);
        const cancelled = record("2025-03-01T10:00:02.000Z");
        await store.createExport(cancelled, []);
        await store.transition(cancelled.id, { status: ["queued"] }, { status: "cancelled", finishedAt, updatedAt: finishedAt });
        expect(await instantOf(cancelled.id)).toBe(T(finishedAt) + RETENTION);

        // An admin retry brings a failed export back to life: no instant until it finishes again.
        await store.transition(failed.id, { status: ["failed"] }, { status: "queued", finishedAt: null, errorCode: null, errorMessage: null, updatedAt: "2025-03-02T09:00:00.000Z" });
        expect(await instantOf(failed.id)).toBeNull();
        const again = "2025-03-02T09:10:00.000Z";
        await store.transition(failed.id, { status: ["queued"] }, { status: "failed", finishedAt: again, updatedAt: again, errorCode: "query_failed", errorMessage: "x" });
        expect(await instantOf(failed.id)).toBe(T(again) + RETENTION);

        // A patch that changes no status leaves the instant alone.
        await store.transition(cancelled.id, { status: ["cancelled"] }, { updatedAt: "2025-03-03T00:00:00.000Z" });
        expect(await instantOf(cancelled.id)).toBe(T(finishedAt) + RETENTION);
      } finally {
        await cleanup();
      }
    });
  });
}
