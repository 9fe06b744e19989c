import type { Metadata } from "next";
import { forbidden } from "next/navigation";
import { hrefWith, Pagination } from "@/components/pagination";
import { Card, EmptyState, Notice, PageHeader, buttonClass, inputClass, labelClass } from "@/components/ui";
import { AUDIT_ACTIONS, listAudit } from "@/lib/audit/audit";
import { getDeps } from "@/lib/config";
import { ApiError } from "@/lib/core/errors";
import type { AuditEntry } from "@/lib/ports";
import type { SearchParams } from "@/app/_lib/query";
import { pathWithQuery, requireActor } from "@/app/_lib/session";

export const metadata: Metadata = { title: "Audit log" };

const FILTERS = ["action", "actor", "from", "to", "supplierId"] as const;

/** Owners: their supplier's audit log; admins: everyone's. Filters in the URL, cursor pages, CSV of the same filters. */
export default async function AuditPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const sp = await searchParams;
  const { actor } = await requireActor(pathWithQuery("/audit", sp));
  if (actor.role !== "admin" && actor.membership !== "owner") forbidden();
  const filters: Record<string, string> = {};
  for (const f of FILTERS) if (typeof sp[f] === "string" && sp[f]) filters[f] = sp[f] as string;
  if (actor.role !== "admin") delete filters.supplierId;
  const cursor = typeof sp.cursor === "string" ? sp.cursor : undefined;
  let page: { items: AuditEntry[]; nextCursor: string | null } = { items: [], nextCursor: null };
  let error: string | null = null;
  try {
    page = await listAudit(await getDeps(), actor, { ...filters, limit: "50", ...(cursor ? { cursor } : {}) });
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    error = err.message;
  }
  return (
    <>
      <PageHeader
        title="Audit log"
        description={actor.role === "admin" ? "Everything everyone did, newest first." : "What your team did, newest first: sign-ins, exports, downloads, tokens, members."}
        actions={
          <a className={buttonClass.secondary} href={hrefWith("/api/v1/audit", { ...filters, format: "csv" })} data-testid="audit-csv">
            Export CSV
          </a>
        }
      />
      <Card className="mb-4 p-4">
        <form className="grid gap-3 sm:grid-cols-5" method="get">
          <div>
            <label htmlFor="f-action" className={labelClass}>
              Action
            </label>
            <select id="f-action" name="action" defaultValue={filters.action ?? ""} className={`${inputClass} mt-1`}>
              <option value="">Any</option>
              {AUDIT_ACTIONS.map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor="f-actor" className={labelClass}>
              Who (email)
            </label>
            <input id="f-actor" name="actor" type="email" defaultValue={filters.actor ?? ""} className={`${inputClass} mt-1`} />
          </div>
          <div>
            <label htmlFor="f-from" className={labelClass}>
              From
            </label>
            <input id="f-from" name="from" type="date" defaultValue={filters.from ?? ""} className={`${inputClass} mt-1`} />
          </div>
          <div>
            <label htmlFor="f-to" className={labelClass}>
              To
            </label>
            <input id="f-to" name="to" type="date" defaultValue={filters.to ?? ""} className={`${inputClass} mt-1`} />
          </div>
          {actor.role === "admin" ? (
            <div>
              <label htmlFor="f-supplier" className={labelClass}>
                Supplier id
              </label>
              <input id="f-supplier" name="supplierId" defaultValue={filters.supplierId ?? ""} className={`${inputClass} mt-1`} placeholder="sup_rose" />
            </div>
          ) : null}
          <div className="sm:col-span-5">
            <button type="submit" className={buttonClass.primary}>
              Filter
            </button>
          </div>
        </form>
      </Card>
      {error ? (
        <Notice tone="error" role="alert">
          {error}
        </Notice>
      ) : page.items.length === 0 ? (
        <EmptyState title="Nothing recorded">No entries match these filters.</EmptyState>
      ) : (
        <Card scrollLabel="Audit log entries">
          <table className="min-w-full text-left text-sm" data-testid="audit-table">
            <thead className="bg-gray-50 text-xs uppercase tracking-wide text-gray-500">
              <tr>
                <th className="px-3 py-2 font-medium">When (UTC)</th>
                <th className="px-3 py-2 font-medium">Action</th>
                <th className="px-3 py-2 font-medium">Who</th>
                <th className="px-3 py-2 font-medium">Target</th>
                <th className="px-3 py-2 font-medium">Detail</th>
                <th className="px-3 py-2 font-medium">From</th>
                {actor.role === "admin" ? <th className="px-3 py-2 font-medium">Supplier</th> : null}
              </tr>
            </thead>
            <tbody className="divide-y divide-gray-100">
              {page.items.map((e) => (
                <tr key={e.id} data-testid="audit-row" data-action={e.action}>
                  <td className="whitespace-nowrap px-3 py-2 font-mono text-xs">{e.at.slice(0, 19).replace("T", " ")}</td>
                  <td className="px-3 py-2 font-medium">{e.action}</td>
                  <td className="px-3 py-2">
                    {e.actorEmail ?? "—"}
                    {e.via !== "session" ? <span className="ml-1 text-xs text-gray-500">({e.via})</span> : null}
                  </td>
                  <td className="px-3 py-2 font-mono text-xs">{e.target ?? ""}</td>
                  <td className="px-3 py-2">{e.detail ?? ""}</td>
                  <td className="px-3 py-2 text-xs text-gray-600" title={e.userAgent ?? undefined}>
                    {e.ip ?? "unknown"}
                  </td>
                  {actor.role === "admin" ? <td className="px-3 py-2 font-mono text-xs">{e.supplierId ?? "—"}</td> : null}
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      )}
      <Pagination path="/audit" filters={filters} cursor={cursor} nextCursor={page.nextCursor} />
    </>
  );
}
