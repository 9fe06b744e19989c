/**
 * Figures for the admin view: exports by status, how long successful exports
 * took (p50, p95) and exports per day, over the same filters as the admin
 * list. Computed from the newest `STATS_SCAN_LIMIT` matching exports, read
 * through the JobStore's list pages, so it works the same on SQLite and
 * DynamoDB without an aggregate query in either.
 */
import { z } from "zod";
import type { ExportDeps } from "./deps";
import type { Actor } from "../core/actor";
import { ApiError } from "../core/errors";
import { EXPORT_STATUSES, type ExportRecord, type ExportStatus } from "./model";
import { createdAtRange, ZListExportsQuery } from "./schemas";
import { zodDetails } from "../core/validation";

/** At most this many exports are read for one answer; `truncated` says when there were more. */
export const STATS_SCAN_LIMIT = 5000;
const PAGE_SIZE = 100;

/** The admin list's filters, without paging: the stats cover every match (up to the scan limit). */
export const ZExportStatsQuery = ZListExportsQuery.omit({ cursor: true, limit: true });

export interface ExportStats {
  /** Every status, 0 when none. */
  countsByStatus: Record<ExportStatus, number>;
  /**
   * Time from a worker starting an export to it being ready (finishedAt -
   * startedAt), over ready and expired exports; null when there are none.
   * Failed and cancelled exports are left out: how fast something fails says
   * little about how long an export takes.
   */
  durationSeconds: { p50: number | null; p95: number | null };
  /** Exports created per UTC day, oldest first, with days without exports as 0 between the first and the last. */
  perDay: { day: string; count: number }[];
  /** How many exports the figures are based on. */
  scanned: number;
  /** True when more exports matched than `STATS_SCAN_LIMIT`: the figures cover the newest ones only. */
  truncated: boolean;
}

/** Admins only. `input` is the raw query (strings), with the admin list's filters: status, dataset, from, to, supplierId. */
export async function getExportStats(deps: Pick<ExportDeps, "jobs">, actor: Actor, input: unknown): Promise<ExportStats> {
  if (actor.role !== "admin") throw new ApiError("forbidden", "Admins only.");
  const parsed = ZExportStatsQuery.strict().safeParse(input);
  if (!parsed.success) throw new ApiError("validation_failed", "The filters are not valid.", zodDetails(parsed.error));
  const q = parsed.data;
  const filters = {
    supplierId: q.supplierId,
    status: q.status,
    dataset: q.dataset,
    ...createdAtRange(q),
  };

  const records: ExportRecord[] = [];
  let cursor: string | undefined;
  let truncated = false;
  for (;;) {
    const page = await deps.jobs.listExports({ ...filters, cursor, limit: Math.min(PAGE_SIZE, STATS_SCAN_LIMIT - records.length) });
    records.push(...page.items);
    if (!page.nextCursor) break;
    if (records.length >= STATS_SCAN_LIMIT) {
      truncated = true;
      break;
    }
    cursor = page.nextCursor;
  }
  return { ...summarizeExports(records), scanned: records.length, truncated };
}

/** The figures for a set of exports (pure; exported for tests). */
export function summarizeExports(records: readonly ExportRecord[]): Omit<ExportStats, "scanned" | "truncated"> {
  const countsByStatus = Object.fromEntries(EXPORT_STATUSES.map((s) => [s, 0])) as Record<ExportStatus, number>;
  const durations: number[] = [];
  const perDay = new Map<string, number>();
  for (const r of records) {
    countsByStatus[r.status] += 1;
    const day = r.createdAt.slice(0, 10);
    perDay.set(day, (perDay.get(day) ?? 0) + 1);
    if ((r.status === "ready" || r.status === "expired") && r.startedAt && r.finishedAt) {
      const seconds = (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000;
      if (Number.isFinite(seconds) && seconds >= 0) durations.push(seconds);
    }
  }
  durations.sort((a, b) => a - b);
  return {
    countsByStatus,
    durationSeconds: { p50: percentile(durations, 50), p95: percentile(durations, 95) },
    perDay: fillDays(perDay),
  };
}

/** Nearest-rank percentile of sorted values (a value that occurred, never an interpolation); null when empty. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return round(sorted[Math.min(Math.max(rank, 1), sorted.length) - 1]);
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

/** Every day from the first to the last with a count, 0 for days without exports, so a chart's x-axis has no gaps. */
function fillDays(counts: Map<string, number>): { day: string; count: number }[] {
  if (counts.size === 0) return [];
  const days = [...counts.keys()].sort();
  const out: { day: string; count: number }[] = [];
  for (let t = Date.parse(`${days[0]}T00:00:00Z`), end = Date.parse(`${days[days.length - 1]}T00:00:00Z`); t <= end; t += 86_400_000) {
    const day = new Date(t).toISOString().slice(0, 10);
    out.push({ day, count: counts.get(day) ?? 0 });
  }
  return out;
}
