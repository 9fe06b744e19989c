import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "better-sqlite3";
import { openSqlite } from "../adapters/local/sqlite";
import { SqliteJobStore } from "../adapters/local/sqlite-job-store";
import type { JobStore } from "../ports";
import type { Actor } from "../core/actor";
import { ApiError } from "../core/errors";
import { newId } from "../core/ids";
import { newExportRecord, type ExportRecord } from "./model";
import { STATS_SCAN_LIMIT, getExportStats, percentile, summarizeExports } from "./stats";

const admin: Actor = { userId: "usr_admin", email: "admin@acmeflowers.test", role: "admin", supplierId: null };
const rose: Actor = { userId: "usr_rose", email: "rose@suppliers.test", role: "supplier", supplierId: "sup_rose" };

function rec(overrides: Partial<ExportRecord> & { createdAt: string }): ExportRecord {
  return newExportRecord(
    {
      id: newId("exp", Date.parse(overrides.createdAt)),
      supplierId: "sup_rose",
      requestedBy: "usr_rose",
      requesterEmail: "rose@suppliers.test",
      dataset: "product_inventory",
      params: {},
      format: "csv",
      bom: false,
      notify: false,
      createdAt: overrides.createdAt,
    },
    overrides,
  );
}

/** A finished export created at `createdAt` that ran for `seconds`. */
function ran(createdAt: string, seconds: number, overrides: Partial<ExportRecord> = {}): ExportRecord {
  const started = Date.parse(createdAt) + 1000;
  return rec({
    createdAt,
    status: "ready",
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(started + seconds * 1000).toISOString(),
    ...overrides,
  });
}

describe("percentile", () => {
  it("is the nearest-rank value, and null for no values", () => {
    const oneToTwenty = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(percentile(oneToTwenty, 50)).toBe(10);
    expect(percentile(oneToTwenty, 95)).toBe(19);
    expect(percentile([7], 50)).toBe(7);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeNull();
  });
});

describe("summarizeExports", () => {
  it("counts every status, times only successful runs and fills the days between", () => {
    const s = summarizeExports([
      ran("2026-03-01T10:00:00.000Z", 10),
      ran("2026-03-01T11:00:00.000Z", 30, { status: "expired" }),
      ran("2026-03-04T09:00:00.000Z", 20),
      // A failure after 999 s must not count as an export's duration.
      ran("2026-03-04T10:00:00.000Z", 999, { status: "failed" }),
      rec({ createdAt: "2026-03-04T11:00:00.000Z", status: "running", startedAt: "2026-03-04T11:00:01.000Z" }),
    ]);
    expect(s.countsByStatus).toEqual({ queued: 0, running: 1, archiving: 0, ready: 2, expired: 1, failed: 1, cancelled: 0 });
    expect(s.durationSeconds).toEqual({ p50: 20, p95: 30 });
    expect(s.perDay).toEqual([
      { day: "2026-03-01", count: 2 },
      { day: "2026-03-02", count: 0 },
      { day: "2026-03-03", count: 0 },
      { day: "2026-03-04", count: 3 },
    ]);
  });

  it("gives null durations and no days for no exports", () => {
    const s = summarizeExports([]);
    expect(s.durationSeconds).toEqual({ p50: null, p95: null });
    expect(s.perDay).toEqual([]);
    expect(Object.values(s.countsByStatus).every((n) => n === 0)).toBe(true);
  });
});

describe("getExportStats", () => {
  let db: Database;
  let jobs: JobStore;

  beforeEach(() => {
    db = openSqlite(":memory:");
    jobs = new SqliteJobStore(db);
  });
  afterEach(() => db.close());

  async function store(...records: ExportRecord[]): Promise<void> {
    for (const r of records) await jobs.createExport(r, []);
  }

  it("applies the admin list's filters, with a bare `to` date covering that whole day", async () => {
    await store(
      ran("2026-03-01T10:00:00.000Z", 10),
      ran("2026-03-02T23:59:00.000Z", 20, { supplierId: "sup_tulip" }),
      ran("2026-03-03T00:00:00.000Z", 40, { dataset: "customer_reviews" }),
      rec({ createdAt: "2026-03-02T12:00:00.000Z", status: "failed" }),
    );
    const all = await getExportStats({ jobs }, admin, {});
    expect(all.scanned).toBe(4);
    expect(all.truncated).toBe(false);

    const tulip = await getExportStats({ jobs }, admin, { supplierId: "sup_tulip" });
    expect(tulip.scanned).toBe(1);
    expect(tulip.durationSeconds).toEqual({ p50: 20, p95: 20 });

    const throughMarch2 = await getExportStats({ jobs }, admin, { from: "2026-03-02", to: "2026-03-02" });
    expect(throughMarch2.perDay).toEqual([{ day: "2026-03-02", count: 2 }]);
    expect(throughMarch2.countsByStatus.failed).toBe(1);

    const reviews = await getExportStats({ jobs }, admin, { dataset: "customer_reviews", status: "ready" });
    expect(reviews.scanned).toBe(1);
  });

  it("reads at most the newest STATS_SCAN_LIMIT exports and says so", async () => {
    const base = Date.parse("2026-01-01T00:00:00.000Z");
    // The 50 oldest failed; the 5000 newest are ready: a correct cut leaves no failure in the counts.
    const records = Array.from({ length: STATS_SCAN_LIMIT + 50 }, (_, i) =>
      i < 50 ? rec({ createdAt: new Date(base + i * 60_000).toISOString(), status: "failed" }) : ran(new Date(base + i * 60_000).toISOString(), 5),
    );
    await store(...records);
    const s = await getExportStats({ jobs }, admin, {});
    expect(s.scanned).toBe(STATS_SCAN_LIMIT);
    expect(s.truncated).toBe(true);
    expect(s.countsByStatus.failed).toBe(0);
    expect(s.countsByStatus.ready).toBe(STATS_SCAN_LIMIT);
  });

  it("is for admins only", async () => {
    await expect(getExportStats({ jobs }, rose, {})).rejects.toMatchObject({ code: "forbidden" });
  });

  it("refuses unknown and paging parameters, naming them", async () => {
    for (const key of ["colour", "cursor", "limit"]) {
      const err = await getExportStats({ jobs }, admin, { [key]: "1" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).code).toBe("validation_failed");
      expect(JSON.stringify((err as ApiError).details)).toContain(key);
    }
    await expect(getExportStats({ jobs }, admin, { status: "done" })).rejects.toMatchObject({ code: "validation_failed" });
  });
});
