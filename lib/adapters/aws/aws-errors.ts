/**
 * Reading AWS SDK v3 errors without depending on each service's exception
 * classes: the name (`ConditionalCheckFailedException`, `NoSuchKey`, ...), the
 * HTTP status and whether the SDK itself considers the fault transient.
 */

interface SdkErrorShape {
  name?: unknown;
  Code?: unknown;
  code?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/** The error's service name, e.g. "ResourceNotFoundException"; "" when it is not an SDK error. */
export function awsErrorName(err: unknown): string {
  if (err === null || typeof err !== "object") return "";
  const e = err as SdkErrorShape;
  for (const candidate of [e.name, e.Code, e.code]) {
    if (typeof candidate === "string" && candidate !== "" && candidate !== "Error") return candidate;
  }
  return "";
}

/** The HTTP status the service answered with, when there was an answer. */
export function awsHttpStatus(err: unknown): number | undefined {
  if (err === null || typeof err !== "object") return undefined;
  const status = (err as SdkErrorShape).$metadata?.httpStatusCode;
  return typeof status === "number" ? status : undefined;
}

const TRANSIENT_NAMES = new Set([
  "ThrottlingException",
  "Throttling",
  "ThrottledException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "ProvisionedThroughputExceededException",
  "RequestThrottled",
  "SlowDown",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "InternalServerError",
  "InternalServerException",
  "InternalFailure",
  "InternalError",
  "RequestTimeout",
  "RequestTimeoutException",
  "TimeoutError",
  // No HTTP answer at all: the network, not the request, failed.
  "ECONNRESET",
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EPIPE",
]);

/**
 * True for faults worth retrying later: throttling, 5xx, timeouts and lost
 * connections. The SDK has already retried these a few times by the time we
 * see them, so "retryable" here means "put the message back in the queue".
 */
export function isTransientAwsError(err: unknown): boolean {
  if (err === null || typeof err !== "object") return false;
  const e = err as SdkErrorShape;
  if (e.$retryable) return true;
  if (TRANSIENT_NAMES.has(awsErrorName(err))) return true;
  const status = awsHttpStatus(err);
  return status !== undefined && (status >= 500 || status === 429);
}

/** The error's message, for logs and step details. */
export function awsErrorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
