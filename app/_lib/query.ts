/** Reading the list pages' query strings. */
import { ApiError } from "@/lib/core/errors";

export type SearchParams = Record<string, string | string[] | undefined>;

const LIST_KEYS = ["status", "dataset", "from", "to", "cursor", "limit", "supplierId", "q"] as const;
export type ListKey = (typeof LIST_KEYS)[number];

/**
 * The list filters of a query string: first value of each known key, empty
 * values dropped (an "Any" option of the GET form sends `status=`), unknown
 * keys ignored. The service validates the rest.
 */
export function listQuery(sp: SearchParams, keys: readonly ListKey[] = LIST_KEYS): Partial<Record<ListKey, string>> {
  const out: Partial<Record<ListKey, string>> = {};
  for (const k of keys) {
    const raw = sp[k];
    const v = (Array.isArray(raw) ? raw[0] : raw)?.trim();
    if (v) out[k] = v;
  }
  return out;
}

/** The query without paging (`cursor`, `limit`): what the filter form and the figures cover. */
export function withoutPaging<T extends Partial<Record<ListKey, string>>>(q: T): Omit<T, "cursor" | "limit"> {
  const { cursor: _cursor, limit: _limit, ...rest } = q;
  void _cursor;
  void _limit;
  return rest;
}

/** A readable message for a failed list query: the field details of a validation error, else its message. */
export function listErrorMessage(err: unknown): string {
  if (err instanceof ApiError) {
    const details = Array.isArray(err.details) ? (err.details as { path?: string; message?: string }[]) : [];
    const parts = details.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)).filter(Boolean);
    return parts.length ? `${err.message} ${parts.join("; ")}` : err.message;
  }
  return "The list could not be loaded.";
}
