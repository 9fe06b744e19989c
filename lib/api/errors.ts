/**
 * The one mapping from a thrown value to an HTTP response. Every body is
 * `{ error: { code, message, details? } }`: an `ApiError` keeps its status,
 * code and headers; a `ZodError` is a 400 with one detail per field; anything
 * else is a generic 500 whose cause is logged and never shown.
 */
import type { Logger } from "pino";
import { ZodError } from "zod";
import { ApiError, type ErrorCode } from "../core/errors";
import { zodDetails } from "../core/validation";

/** The JSON body of every error response. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

const INTERNAL_MESSAGE = "Something went wrong on our side. Please try again.";

/** Builds an error response. API responses are per-user, so none of them is cacheable. */
export function errorResponse(status: number, body: ErrorBody, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers: { "Cache-Control": "no-store", ...headers } });
}

/**
 * Maps anything a handler throws to its response. `log` receives the cause of
 * every 5xx (a 4xx is the caller's mistake and is not logged as an error).
 */
export function toErrorResponse(err: unknown, log: Pick<Logger, "error" | "warn"> | undefined): Response {
  if (err instanceof ApiError) {
    if (err.status >= 500) {
      if (log) log.warn({ err, code: err.code }, "request failed");
      else console.warn("request failed", err);
    }
    const body: ErrorBody = { error: { code: err.code, message: err.message } };
    if (err.details !== undefined) body.error.details = err.details;
    return errorResponse(err.status, body, err.headers);
  }
  if (err instanceof ZodError) {
    return errorResponse(400, { error: { code: "validation_failed", message: "The request is not valid.", details: zodDetails(err) } });
  }
  if (log) log.error({ err }, "unhandled error in route handler");
  else console.error("unhandled error in route handler", err);
  return errorResponse(500, { error: { code: "internal", message: INTERNAL_MESSAGE } });
}
