/** The audit log's opaque page cursor: the sort key (`at`, `id`) of the last entry returned. */
import { ApiError } from "../core/errors";

export function encodeAuditCursor(entry: { at: string; id: string }): string {
  return Buffer.from(JSON.stringify([entry.at, entry.id])).toString("base64url");
}

/** Throws `ApiError("bad_request")` for anything `encodeAuditCursor` did not make. */
export function decodeAuditCursor(cursor: string): { at: string; id: string } {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === "string" && typeof v[1] === "string") return { at: v[0], id: v[1] };
  } catch {
    /* fall through */
  }
  throw new ApiError("bad_request", "The cursor is not valid; pass back the nextCursor of a previous page.");
}
