import Link from "next/link";
import { ALL_STATUSES, STATUS_LABEL } from "./format";
import { buttonClass, inputClass } from "./ui";

export interface ListFilterValues {
  status?: string;
  dataset?: string;
  from?: string;
  to?: string;
  supplierId?: string;
  q?: string;
}

/**
 * The list filters as a plain GET form: the filters live in the URL, so every
 * view is bookmarkable and the form works without JavaScript. Changing a
 * filter starts again from the newest page (no cursor).
 */
export function ListFilters({
  action,
  values,
  limit,
  datasets,
  suppliers,
  search = false,
}: {
  action: string;
  values: ListFilterValues;
  /** Page size from the URL, kept when the filters change. */
  limit?: string;
  datasets: { id: string; title: string }[];
  /** Admin lists: the suppliers to choose from. */
  suppliers?: { id: string; name: string }[];
  /** Admin lists: a search box for an export id, a requester's email or a supplier. */
  search?: boolean;
}) {
  const active = Object.values(values).some((v) => v);
  const field = "flex min-w-0 flex-col gap-1";
  const label = "text-xs font-medium text-gray-600";
  return (
    <form method="get" action={action} className="rounded-lg border border-gray-200 bg-white p-4 shadow-sm" role="search" aria-label="Filter exports">
      {limit ? <input type="hidden" name="limit" value={limit} /> : null}
      {search ? (
        <div className="mb-3 flex min-w-0 flex-col gap-1">
          <label htmlFor="f-q" className="text-xs font-medium text-gray-600">
            Search
          </label>
          <input id="f-q" name="q" type="search" defaultValue={values.q ?? ""} placeholder="Export id (exp_…), requester email, or supplier" className={inputClass} aria-describedby="f-q-help" />
          <p id="f-q-help" className="text-xs text-gray-600">
            An export id finds that export; an email finds what that person requested; a supplier&apos;s name or id finds its exports.
          </p>
        </div>
      ) : null}
      <div className={`grid grid-cols-2 gap-3 ${suppliers ? "lg:grid-cols-6" : "lg:grid-cols-5"}`}>
        {suppliers ? (
          <div className={`${field} col-span-2 lg:col-span-1`}>
            <label htmlFor="f-supplier" className={label}>
              Supplier
            </label>
            <select id="f-supplier" name="supplierId" defaultValue={values.supplierId ?? ""} className={inputClass}>
              <option value="">All suppliers</option>
              {suppliers.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          </div>
        ) : null}
        <div className={field}>
          <label htmlFor="f-status" className={label}>
            Status
          </label>
          <select id="f-status" name="status" defaultValue={values.status ?? ""} className={inputClass}>
            <option value="">Any status</option>
            {ALL_STATUSES.map((s) => (
              <option key={s} value={s}>
                {STATUS_LABEL[s]}
              </option>
            ))}
          </select>
        </div>
        <div className={field}>
          <label htmlFor="f-dataset" className={label}>
            Dataset
          </label>
          <select id="f-dataset" name="dataset" defaultValue={values.dataset ?? ""} className={inputClass}>
            <option value="">Any dataset</option>
            {datasets.map((d) => (
              <option key={d.id} value={d.id}>
                {d.title}
              </option>
            ))}
          </select>
        </div>
        <div className={field}>
          <label htmlFor="f-from" className={label}>
            Requested from (UTC day)
          </label>
          <input id="f-from" name="from" type="date" defaultValue={values.from ?? ""} className={inputClass} />
        </div>
        <div className={field}>
          <label htmlFor="f-to" className={label}>
            Requested to (UTC day, inclusive)
          </label>
          <input id="f-to" name="to" type="date" defaultValue={values.to ?? ""} className={inputClass} />
        </div>
        <div className="col-span-2 flex items-end gap-2 lg:col-span-1">
          <button type="submit" className={`${buttonClass.primary} flex-1`}>
            Filter
          </button>
          {active ? (
            <Link href={action} className={`${buttonClass.ghost} flex-1`}>
              Clear
            </Link>
          ) : null}
        </div>
      </div>
    </form>
  );
}
