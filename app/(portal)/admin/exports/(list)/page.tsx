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
import { QUEUED_STUCK_AFTER_SECONDS } from "@/lib/exports/outcome";
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
  const now = Date.now();
  // "Stuck": queued longer than the threshold with no worker on it.
  const stuck = sp.view === "stuck";
  const stuckBefore = new Date(now - QUEUED_STUCK_AFTER_SECONDS * 1000).toISOString();
  // The search box also takes a supplier's name: it becomes that supplier's id.
  const bySupplierName = q.q ? suppliers.filter((s) => s.name.toLowerCase().includes(q.q!.toLowerCase())) : [];
  const search = q.q && bySupplierName.length === 1 && !q.q.includes("@") && !q.q.startsWith("exp_") ? { q: bySupplierName[0].id } : {};
  const listInput = { limit: String(PAGE_SIZE), ...q, ...search, ...(stuck ? { status: "queued", to: stuckBefore } : {}) };
  let page: Page<ExportRecord> = { items: [], nextCursor: null };
  let stats: ExportStats | null = null;
  let error: string | null = null;
  try {
    const { q: _search, ...statsFilters } = filters;
    void _search;
    [page, stats] = await Promise.all([listAllExports(deps, actor, listInput), getExportStats(deps, actor, stuck ? { ...statsFilters, status: "queued", to: stuckBefore } : statsFilters)]);
  } catch (err) {
    error = listErrorMessage(err);
  }
  const total = stats ? Object.values(stats.countsByStatus).reduce((a, b) => a + b, 0) : 0;

  return (
    <>
      <PageHeader
        title="All exports"
        description="Every supplier's exports, newest first. Filters apply to the figures and the list."
        actions={
          <span className="flex gap-2">
            <Link href="/admin/suppliers" className="text-sm font-medium text-brand-700 hover:underline">
              Suppliers
            </Link>
            <Link href="/admin/users" className="text-sm font-medium text-brand-700 hover:underline">
              Users
            </Link>
            <Link href="/admin/schedules" className="text-sm font-medium text-brand-700 hover:underline">
              Schedules
            </Link>
          </span>
        }
      />
      <div className="space-y-6">
        <ListFilters
          action="/admin/exports"
          values={filters}
          limit={q.limit}
          datasets={listDatasets().map((d) => ({ id: d.id, title: d.title }))}
          suppliers={suppliers}
          search
        />
        <nav aria-label="Views" className="flex flex-wrap gap-2 text-sm">
          <Link href={hrefWith("/admin/exports", filters)} aria-current={!stuck ? "page" : undefined} className={`rounded-md px-3 py-1.5 ${!stuck ? "bg-gray-900 text-white" : "bg-white text-gray-800 ring-1 ring-gray-300 hover:bg-gray-50"}`}>
            All
          </Link>
          <Link
            href={hrefWith("/admin/exports", { view: "stuck" })}
            aria-current={stuck ? "page" : undefined}
            className={`rounded-md px-3 py-1.5 ${stuck ? "bg-gray-900 text-white" : "bg-white text-gray-800 ring-1 ring-gray-300 hover:bg-gray-50"}`}
          >
            Stuck: queued over {QUEUED_STUCK_AFTER_SECONDS / 60} minutes
          </Link>
        </nav>
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
                <p className="text-xs text-gray-600">
                  {total.toLocaleString("en-US")} in all{stats.truncated ? ` (newest ${stats.scanned.toLocaleString("en-US")} counted)` : ""}
                </p>
              </div>
              <div className="mt-6">
                <BarChart data={stats.perDay} label="Exports requested per day (UTC)" today={new Date(now).toISOString().slice(0, 10)} />
              </div>
            </Card>
            <div className="grid grid-cols-1 gap-4">
              <Card className="p-5">
                <h3 className="text-sm font-semibold text-gray-900">Time to ready</h3>
                <dl className="mt-3 grid grid-cols-2 gap-4">
                  <div>
                    <dt className="text-xs text-gray-600">Median (p50)</dt>
                    <dd className="mt-0.5 text-2xl font-semibold tabular-nums text-gray-900" data-testid="p50">
                      {formatDuration(stats.durationSeconds.p50)}
                    </dd>
                  </div>
                  <div>
                    <dt className="text-xs text-gray-600">p95</dt>
                    <dd className="mt-0.5 text-2xl font-semibold tabular-nums text-gray-900" data-testid="p95">
                      {formatDuration(stats.durationSeconds.p95)}
                    </dd>
                  </div>
                </dl>
                <p className="mt-2 text-xs text-gray-600">From a worker starting the export to its archive being ready.</p>
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
              admin
              now={now}
              supplierNames={Object.fromEntries(suppliers.map((s) => [s.id, s.name]))}
            />
            <Pagination path="/admin/exports" filters={pageFilters} cursor={cursor} nextCursor={page.nextCursor} />
          </div>
        ) : null}
      </div>
    </>
  );
}
