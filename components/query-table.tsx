"use client";

import type { UseQueryResult } from "@tanstack/react-query";
import type { ApiClientError } from "./api-client";
import { Notice } from "./ui";

/** Cell padding of the two table layouts: in a Card of its own (admin lists), or inside a settings section. */
const LAYOUT = {
  card: { loading: "p-4 text-sm text-gray-500", head: "bg-gray-50", cell: "px-3 py-2", last: "px-3 py-2" },
  section: { loading: "text-sm text-gray-500", head: "", cell: "py-2 pr-4", last: "py-2" },
} as const;

/**
 * A list from a query as the members and admin pages show it: a loading
 * line, the API's message when it failed, else a table with these headings
 * and an unlabelled actions column last; `rows` renders the body's rows.
 */
export function QueryTable<T>({
  query,
  loading,
  columns,
  layout,
  rows,
}: {
  query: UseQueryResult<T>;
  loading: string;
  columns: string[];
  layout: keyof typeof LAYOUT;
  rows: (data: T) => React.ReactNode;
}) {
  const l = LAYOUT[layout];
  if (query.isPending) return <p className={l.loading}>{loading}</p>;
  if (query.error) return <Notice tone="error">{(query.error as ApiClientError).message}</Notice>;
  return (
    <table className="min-w-full text-left text-sm">
      <thead className={`${l.head} text-xs uppercase tracking-wide text-gray-500`.trim()}>
        <tr>
          {columns.map((c) => (
            <th key={c} className={`${l.cell} font-medium`}>
              {c}
            </th>
          ))}
          <th className={`${l.last} font-medium`}>
            <span className="sr-only">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody className="divide-y divide-gray-100">{rows(query.data)}</tbody>
    </table>
  );
}

