import { forbidden } from "next/navigation";
import type { Metadata } from "next";
import Link from "next/link";
import { BarChart } from "@/components/bar-chart";
import { ExportsTable } from "@/components/exports-table";
import { ALL_STATUSES, formatDuration, STATUS_LABEL } from "@/components/format";
import { ListFilters } from "@/components/list-filters";
import { hrefWith, Pagination } from "@/components/pagination";
import { StatusBadge } from "@/components/status-badge";
import { Card, EmptyState, Notice, PageHeader } from "@/components/ui";
import { getDeps } from "@/lib/config";
import { listDatasets } from "@/lib/datasets/catalog";
import type { ExportRecord, Page } from "@/lib/exports/model";
import { listAllExports } from "@/lib/exports/service";
import { getExportStats, type ExportStats } from "@/lib/exports/stats";
import { datasetTitles } from "@/app/_lib/datasets";
import { listErrorMessage, listQuery, withoutPaging, type SearchParams } from "@/app/_lib/query";
import { pathWithQuery, requireActor } from "@/app/_lib/session";
import { supplierDirectory } from "@/app/_lib/suppliers";

export const metadata: Metadata = { title: "All exports" };

const PAGE_SIZE = 25;

/** Every supplier's exports, with counts, durations and exports per day over the same filters. */
export default async function AdminExportsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const sp = await searchParams;
  const { actor } = await requireActor(pathWithQuery("/admin/exports", sp));
  if (actor.role !== "admin") forbidden();

  const q = listQuery(sp);
  const { cursor, ...pageFilters } = q;
  const filters = withoutPaging(q);
  const deps = await getDeps();
  const suppliers = await supplierDirectory();
  let page: Page<ExportRecord> = { items: [], nextCursor: null };
  let stats: ExportStats | null = null;
  let error: string | null = null;
  try {
    [page, stats] = await Promise.all([listAllExports(deps, actor, { limit: String(PAGE_SIZE), ...q }), getExportStats(deps, actor, filters)]);
  } catch (err) {
    error = listErrorMessage(err);
  }
  const total = stats ? Object.values(stats.countsByStatus).reduce((a, b) => a + b, 0) : 0;

  return (
    <>
      <PageHeader title="All exports" description="Every supplier's exports, newest first. Filters apply to the figures and the list." />
      <div className="space-y-6">
        <ListFilters
          action="/admin/exports"
          values={filters}
          limit={q.limit}
          datasets={listDatasets().map((d) => ({ id: d.id, title: d.title }))}
          suppliers={suppliers}
        />
        {error ? (
          <Notice tone="error" title="These filters cannot be used" role="alert">
            {error}
          </Notice>
        ) : null}

        {stats ? (
          <section aria-labelledby="figures" className="grid grid-cols-1 gap-4 lg:grid-cols-3">
            <h2 id="figures" className="sr-only">
              Figures
            </h2>
            <Card className="p-5 lg:col-span-2">
              <div className="flex items-baseline justify-between gap-3">
                <h3 className="text-sm font-semibold text-gray-900">Exports per day</h3>
                <p className="text-xs text-gray-500">
                  {total.toLocaleString("en-US")} in all{stats.truncated ? ` (newest ${stats.scanned.toLocaleString("en-US")} counted)` : ""}
                </p>
              </div>
              <div className="mt-6">
                <BarChart data={stats.perDay} label="Exports requested per day (UTC)" />
              </div>
            </Card>
            <div className="grid grid-cols-1 gap-4">
              <Card className="p-5">
                <h3 className="text-sm font-semibold text-gray-900">Time to ready</h3>
                <dl className="mt-3 grid grid-cols-2 gap-4">
                  <div>
                    <dt className="text-xs text-gray-500">Median (p50)</dt>
                    <dd className="mt-0.5 text-2xl font-semibold tabular-nums text-gray-900" data-testid="p50">
                      {formatDuration(stats.durationSeconds.p50)}
                    </dd>
                  </div>
                  <div>
                    <dt className="text-xs text-gray-500">p95</dt>
                    <dd className="mt-0.5 text-2xl font-semibold tabular-nums text-gray-900" data-testid="p95">
                      {formatDuration(stats.durationSeconds.p95)}
                    </dd>
                  </div>
                </dl>
                <p className="mt-2 text-xs text-gray-500">From a worker starting the export to its archive being ready.</p>
              </Card>
              <Card className="p-5">
                <h3 className="text-sm font-semibold text-gray-900">By status</h3>
                <ul className="mt-3 grid grid-cols-2 gap-x-4 gap-y-2 text-sm">
                  {ALL_STATUSES.map((s) => (
                    <li key={s}>
                      <Link
                        href={hrefWith("/admin/exports", { ...filters, status: s })}
                        className="flex items-center justify-between gap-2 rounded px-1 py-0.5 hover:bg-gray-50"
                        aria-label={`${STATUS_LABEL[s]}: ${stats.countsByStatus[s]} (show only these)`}
                        data-testid={`count-${s}`}
                      >
                        <StatusBadge status={s} />
                        <span className="tabular-nums text-gray-900">{stats.countsByStatus[s].toLocaleString("en-US")}</span>
                      </Link>
                    </li>
                  ))}
                </ul>
              </Card>
            </div>
          </section>
        ) : null}

        {!error && page.items.length === 0 ? (
          <EmptyState title="No exports match these filters" action={Object.keys(filters).length ? { href: "/admin/exports", label: "Clear filters" } : undefined}>
            Exports show up here as soon as anyone requests one.
          </EmptyState>
        ) : null}
        {page.items.length > 0 ? (
          <div>
            <ExportsTable
              items={page.items}
              datasetTitles={datasetTitles()}
              hrefOf={(id) => `/admin/exports/${id}`}
              showSupplier
              supplierNames={Object.fromEntries(suppliers.map((s) => [s.id, s.name]))}
            />
            <Pagination path="/admin/exports" filters={pageFilters} cursor={cursor} nextCursor={page.nextCursor} />
          </div>
        ) : null}
      </div>
    </>
  );
}
