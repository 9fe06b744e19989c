import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { ExportsTable } from "@/components/exports-table";
import { ListFilters } from "@/components/list-filters";
import { hrefWith, Pagination } from "@/components/pagination";
import { buttonClass, EmptyState, Notice, PageHeader } from "@/components/ui";
import { getDeps } from "@/lib/config";
import { listDatasets } from "@/lib/datasets/catalog";
import { listExports } from "@/lib/exports/service";
import type { ExportRecord, Page } from "@/lib/exports/model";
import { datasetTitles } from "@/app/_lib/datasets";
import { listErrorMessage, listQuery, withoutPaging, type SearchParams } from "@/app/_lib/query";
import { pathWithQuery, requireActor } from "@/app/_lib/session";

export const metadata: Metadata = { title: "Export history" };

const PAGE_SIZE = 20;

/** A supplier's exports, newest first. Filters and the page cursor live in the URL. */
export default async function HistoryPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const sp = await searchParams;
  const { actor } = await requireActor(pathWithQuery("/exports", sp));
  const q = listQuery(sp, ["status", "dataset", "from", "to", "cursor", "limit"]);
  // Admins belong to no supplier: their list is the admin list.
  if (actor.role === "admin") redirect(hrefWith("/admin/exports", q));

  let page: Page<ExportRecord> = { items: [], nextCursor: null };
  let error: string | null = null;
  try {
    page = await listExports(await getDeps(), actor, { limit: String(PAGE_SIZE), ...q });
  } catch (err) {
    error = listErrorMessage(err);
  }
  // `limit` (page size) is kept across pages and filter changes; the cursor is not.
  const { cursor, ...pageFilters } = q;
  const filters = withoutPaging(q);
  const filtered = Object.keys(filters).length > 0;

  return (
    <>
      <PageHeader
        title="Export history"
        description="Every export you requested, newest first. Files are kept for a limited time after they are ready."
        actions={
          <Link href="/exports/new" className={buttonClass.primary}>
            New export
          </Link>
        }
      />
      <div className="space-y-4">
        <ListFilters action="/exports" values={filters} limit={q.limit} datasets={listDatasets().map((d) => ({ id: d.id, title: d.title }))} />
        {error ? (
          <Notice tone="error" title="These filters cannot be used" role="alert">
            {error}
          </Notice>
        ) : page.items.length === 0 ? (
          filtered || cursor ? (
            <EmptyState title="No exports match these filters" action={{ href: "/exports", label: "Clear filters" }}>
              Try another status, dataset or date range.
            </EmptyState>
          ) : (
            <EmptyState title="No exports yet" action={{ href: "/exports/new", label: "Start your first export" }}>
              Pick a dataset, filters and columns, and get a zip of CSV, JSON Lines or Parquet files, or one Excel workbook.
            </EmptyState>
          )
        ) : (
          <>
            <ExportsTable items={page.items} datasetTitles={datasetTitles()} hrefOf={(id) => `/exports/${id}`} />
            <Pagination path="/exports" filters={pageFilters} cursor={cursor} nextCursor={page.nextCursor} />
          </>
        )}
      </div>
    </>
  );
}
