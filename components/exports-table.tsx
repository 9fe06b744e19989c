import Link from "next/link";
import type { ExportRecord } from "@/lib/exports/model";
import { isNoRows, QUEUED_STUCK_AFTER_SECONDS } from "@/lib/exports/outcome";
import { downloadHref } from "./api-client";
import { describeParamsInline, formatBytes, formatCount, formatDuration } from "./format";
import { RelativeTime } from "./relative-time";
import { StatusBadge } from "./status-badge";

/**
 * A list of exports: a table from `md` up, stacked cards below (375 px
 * phones), each linking to the export's permalink, with a Download action
 * when the archive is ready.
 */
export function ExportsTable({
  items,
  datasetTitles,
  hrefOf,
  showSupplier = false,
  supplierNames = {},
  admin = false,
  now,
}: {
  items: ExportRecord[];
  datasetTitles: Record<string, string>;
  hrefOf: (id: string) => string;
  showSupplier?: boolean;
  supplierNames?: Record<string, string>;
  /** Admin columns: attempts, time queued, error code. */
  admin?: boolean;
  /** The server's clock at render, for the time a still-queued export has waited. */
  now?: number;
}) {
  const queuedFor = (r: ExportRecord): { seconds: number; stuck: boolean } | null => {
    const until = r.startedAt ? Date.parse(r.startedAt) : r.status === "queued" && now !== undefined ? now : null;
    if (until === null) return null;
    const seconds = Math.max(0, (until - Date.parse(r.createdAt)) / 1000);
    return { seconds, stuck: r.status === "queued" && seconds > QUEUED_STUCK_AFTER_SECONDS };
  };
  const expiryOf = (r: ExportRecord) =>
    r.expiresAt && (r.status === "ready" || r.status === "expired") ? <RelativeTime iso={r.expiresAt} absoluteOnly /> : <span className="text-gray-600">—</span>;
  const supplierOf = (r: ExportRecord) => (r.supplierId ? (supplierNames[r.supplierId] ?? r.supplierId) : "All suppliers");
  return (
    <div className="overflow-hidden rounded-lg border border-gray-200 bg-white shadow-sm">
      <table className="hidden w-full text-left text-sm md:table">
        <thead className="border-b border-gray-200 bg-gray-50 text-xs font-medium uppercase tracking-wide text-gray-500">
          <tr>
            <th scope="col" className="px-4 py-3">
              Requested
            </th>
            {showSupplier ? (
              <th scope="col" className="px-4 py-3">
                Supplier
              </th>
            ) : null}
            <th scope="col" className="px-4 py-3">
              Dataset and filters
            </th>
            <th scope="col" className="px-4 py-3">
              Status
            </th>
            <th scope="col" className="px-4 py-3 text-right">
              Rows
            </th>
            <th scope="col" className="px-4 py-3 text-right">
              Size
            </th>
            <th scope="col" className="px-4 py-3">
              Expires
            </th>
            {admin ? (
              <>
                <th scope="col" className="px-4 py-3 text-right">
                  Attempts
                </th>
                <th scope="col" className="px-4 py-3">
                  Queued
                </th>
                <th scope="col" className="px-4 py-3">
                  Error
                </th>
              </>
            ) : null}
            <th scope="col" className="px-4 py-3">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody className="divide-y divide-gray-100">
          {items.map((r) => (
            <tr key={r.id} data-export-id={r.id} className="hover:bg-gray-50">
              <td className="whitespace-nowrap px-4 py-3 text-gray-600">
                <RelativeTime iso={r.createdAt} absoluteOnly />
              </td>
              {showSupplier ? (
                <td className="px-4 py-3">
                  <span className="block text-gray-900">{supplierOf(r)}</span>
                  <span className="block text-xs text-gray-600">{r.requesterEmail}</span>
                </td>
              ) : null}
              <td className="max-w-md px-4 py-3">
                <Link href={hrefOf(r.id)} className="font-medium text-gray-900 hover:text-brand-700 hover:underline">
                  {datasetTitles[r.dataset] ?? r.dataset}
                </Link>
                <span className="ml-2 text-xs uppercase text-gray-600">{r.format}</span>
                <span className="block truncate text-xs text-gray-600" title={describeParamsInline(r.params)}>
                  {describeParamsInline(r.params)}
                </span>
              </td>
              <td className="px-4 py-3">
                <StatusBadge status={r.status} noRows={isNoRows(r)} />
              </td>
              <td className="whitespace-nowrap px-4 py-3 text-right tabular-nums text-gray-700">{formatCount(r.rowCount)}</td>
              <td className="whitespace-nowrap px-4 py-3 text-right tabular-nums text-gray-700">{formatBytes(r.archiveBytes)}</td>
              <td className="whitespace-nowrap px-4 py-3 text-gray-700">{expiryOf(r)}</td>
              {admin ? (
                <>
                  <td className="whitespace-nowrap px-4 py-3 text-right tabular-nums text-gray-700">{r.attempts}</td>
                  <td className="whitespace-nowrap px-4 py-3 text-gray-700">
                    {(() => {
                      const q = queuedFor(r);
                      if (!q) return "—";
                      return q.stuck ? <span className="font-medium text-red-800">{formatDuration(q.seconds)} (stuck)</span> : formatDuration(q.seconds);
                    })()}
                  </td>
                  <td className="whitespace-nowrap px-4 py-3 font-mono text-xs text-gray-700">{r.errorCode ?? "—"}</td>
                </>
              ) : null}
              <td className="whitespace-nowrap px-4 py-3 text-right">
                {r.status === "ready" && !isNoRows(r) ? (
                  <a href={downloadHref(r.id)} download className="font-medium text-brand-700 hover:underline" aria-label={`Download ${datasetTitles[r.dataset] ?? r.dataset} export ${r.id}`}>
                    Download
                  </a>
                ) : (
                  <Link href={hrefOf(r.id)} className="text-gray-600 hover:text-gray-900 hover:underline" aria-label={`Open export ${r.id}`}>
                    Open
                  </Link>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      <ul className="divide-y divide-gray-100 md:hidden">
        {items.map((r) => (
          <li key={r.id} className="px-4 py-3" data-export-id={r.id}>
            <div className="flex items-start justify-between gap-3">
              <div className="min-w-0">
                <Link href={hrefOf(r.id)} className="font-medium text-gray-900 hover:text-brand-700 hover:underline">
                  {datasetTitles[r.dataset] ?? r.dataset}
                </Link>
                <p className="truncate text-xs text-gray-600">{describeParamsInline(r.params)}</p>
              </div>
              <StatusBadge status={r.status} noRows={isNoRows(r)} />
            </div>
            <div className="mt-2 flex flex-wrap items-center gap-x-3 gap-y-1 text-xs text-gray-600">
              <RelativeTime iso={r.createdAt} />
              {showSupplier ? <span>{supplierOf(r)}</span> : null}
              <span className="uppercase">{r.format}</span>
              {r.rowCount !== null ? <span>{formatCount(r.rowCount)} rows</span> : null}
              {r.archiveBytes !== null ? <span>{formatBytes(r.archiveBytes)}</span> : null}
              {r.expiresAt && r.status === "ready" ? (
                <span>
                  Expires <RelativeTime iso={r.expiresAt} absoluteOnly />
                </span>
              ) : null}
              {admin ? <span>{r.attempts === 1 ? "1 attempt" : `${r.attempts} attempts`}</span> : null}
              {admin && r.errorCode ? <span className="font-mono">{r.errorCode}</span> : null}
              {r.status === "ready" && !isNoRows(r) ? (
                <a href={downloadHref(r.id)} download className="ml-auto font-medium text-brand-700 hover:underline">
                  Download
                </a>
              ) : null}
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}
