/**
 * Faults of an export, classified once (issue 12, finding 9): permanent ones
 * fail the export at once with a message for people; only transient ones go
 * back to the queue. Before, anything that was not a `BackendError` counted
 * as transient, so a filter value that cannot be rendered (a far-future
 * date), a damaged warehouse file or a missing part were retried three
 * times over a minute and then failed with "Gave up after 3 attempts" and an
 * internal message.
 *
 * Unknown faults stay transient: a retry costs a minute, failing a healthy
 * export because of a blip costs the person a new request.
 */
import { BackendError, ObjectNotFoundError } from "../core/errors";
import { InvalidLiteralError } from "../datasets/sql";

export interface Fault {
  code: string;
  /** Shown to people (export page, email, API): plain words, no internals. */
  message: string;
  retryable: boolean;
}

/** Messages of a damaged database file (DuckDB, SQLite), as their libraries word them. */
const CORRUPT = /not a valid DuckDB database file|database disk image is malformed|file is not a database|SQLITE_CORRUPT|SQLITE_NOTADB|Corrupt|checksum|Serialization Error/i;
/** Out of space or quota: clears when space is freed, so worth retrying. */
const TRANSIENT_CODES = new Set(["ENOSPC", "EDQUOT", "EMFILE", "ENFILE", "EBUSY", "EAGAIN", "ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "SQLITE_BUSY", "SQLITE_LOCKED"]);

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

export function classifyFault(err: unknown): Fault {
  const raw = err instanceof Error ? err.message : String(err);
  if (err instanceof BackendError) {
    if (CORRUPT.test(raw)) return damaged();
    return { code: err.code, message: raw, retryable: err.retryable };
  }
  if (err instanceof InvalidLiteralError) {
    return { code: "invalid_params", message: "A filter value cannot be used in the warehouse query (for example a date beyond the year 9999). Change the filters and request the export again.", retryable: false };
  }
  if (err instanceof ObjectNotFoundError) {
    return { code: "part_missing", message: "A file of the query result is missing, so the archive cannot be built. Request the export again.", retryable: false };
  }
  const code = codeOf(err);
  if (code && TRANSIENT_CODES.has(code)) return { code: "transient", message: raw, retryable: true };
  if (CORRUPT.test(raw) || code === "SQLITE_CORRUPT" || code === "SQLITE_NOTADB") return damaged();
  return { code: "transient", message: raw, retryable: true };
}

function damaged(): Fault {
  return { code: "warehouse_damaged", message: "The warehouse data could not be read (a damaged file). An operator has to repair it; request the export again afterwards.", retryable: false };
}
