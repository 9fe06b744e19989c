/**
 * SqliteJobStore: the JobStore contract, plus what only the local adapter
 * promises (the file survives a reopen in WAL mode; immutable fields refused).
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openSqlite } from "@/lib/adapters/local/sqlite";
import { SqliteJobStore } from "@/lib/adapters/local/sqlite-job-store";
import { newExportRecord } from "@/lib/exports/model";
import { testJobStore } from "@/test/contracts/job-store.contract";

async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "pep-local-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

describe("SqliteJobStore", () => {
  testJobStore(async () => {
    const { dir, remove } = await tempDir();
    const db = openSqlite(path.join(dir, "state.db"));
    return {
      store: new SqliteJobStore(db),
      cleanup: async () => {
        db.close();
        await remove();
      },
    };
  });

  it("keeps exports and steps across a reopen of the file", async () => {
    const { dir, remove } = await tempDir();
    try {
      const file = path.join(dir, "nested", "state.db");
      const record = newExportRecord({
        id: "exp_01jqabcdefghjkmnpqrstv",
        supplierId: "sup_a",
        requestedBy: "usr_1",
        requesterEmail: "a@example.com",
        dataset: "inventory",
        params: { q: "Rosé" },
        format: "csv",
        bom: true,
        notify: true,
        createdAt: "2025-03-01T10:00:00.000Z",
      });
      const first = openSqlite(file);
      const store = new SqliteJobStore(first);
      await store.createExport(record, [{ at: record.createdAt, step: "requested", detail: {} }]);
      const moved = await store.transition(record.id, { status: ["queued"] }, { status: "running", attempts: 1 }, [
        { at: "2025-03-01T10:00:01.000Z", step: "started", detail: { attempt: 1 } },
      ]);
      first.close();

      const second = openSqlite(file);
      const reopened = new SqliteJobStore(second);
      expect(await reopened.getExport(record.id)).toEqual(moved);
      expect((await reopened.listSteps(record.id)).map((s) => s.step)).toEqual(["requested", "started"]);
      expect(second.pragma("journal_mode", { simple: true })).toBe("wal");
      second.close();
    } finally {
      await remove();
    }
  });

  it("refuses to patch immutable fields and to append steps to an unknown export", async () => {
    const { dir, remove } = await tempDir();
    const db = openSqlite(path.join(dir, "state.db"));
    try {
      const store = new SqliteJobStore(db);
      const patch = { supplierId: "sup_other" } as unknown as Parameters<SqliteJobStore["transition"]>[2];
      await expect(store.transition("exp_x", { status: ["queued"] }, patch)).rejects.toThrow(/cannot be patched/);
      await expect(store.appendSteps("exp_missing", [{ at: "2025-01-01T00:00:00.000Z", step: "queued", detail: {} }])).rejects.toMatchObject({
        code: "not_found",
      });
      await expect(store.listExports({ limit: 0 })).rejects.toMatchObject({ code: "bad_request" });
    } finally {
      db.close();
      await remove();
    }
  });
});
