import Link from "next/link";
import { buttonClass } from "./ui";

/** Builds `path?query` from the non-empty values. */
export function hrefWith(path: string, query: Record<string, string | undefined>): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v) qs.set(k, v);
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

/**
 * Cursor pagination in the URL: "Older →" carries the next cursor, "← Newest"
 * drops it. (A cursor only points forward, so there is no "previous page".)
 */
export function Pagination({ path, filters, cursor, nextCursor }: { path: string; filters: Record<string, string | undefined>; cursor?: string; nextCursor: string | null }) {
  if (!cursor && !nextCursor) return null;
  return (
    <nav aria-label="Pages" className="mt-4 flex items-center justify-between gap-3">
      {cursor ? (
        <Link href={hrefWith(path, filters)} className={buttonClass.secondary}>
          ← Newest
        </Link>
      ) : (
        <span />
      )}
      {nextCursor ? (
        <Link href={hrefWith(path, { ...filters, cursor: nextCursor })} className={buttonClass.secondary} rel="next">
          Older →
        </Link>
      ) : (
        <span className="text-sm text-gray-500">No older exports</span>
      )}
    </nav>
  );
}
