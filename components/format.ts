/**
 * Words and numbers for people: statuses, steps, failures, sizes, times and
 * filters. Pure functions, safe in server and client components alike.
 */
import "./zod-csp"; // before the model's schemas are built (see zod-csp.ts)
import { formatBytes as formatBytesOf } from "@/lib/exports/format";
export { describeFormat } from "@/lib/exports/format";
import { ACTIVE_STATUSES, EXPORT_STATUSES, FINISHED_STATUSES, type ExportRecord, type ExportStatus, type ExportStep } from "@/lib/exports/model";

/** Statuses an export does not leave by itself: polling stops there. */
export const DONE_STATUSES: readonly ExportStatus[] = FINISHED_STATUSES;
/** Statuses in which the export can still be cancelled. */
export const CANCELLABLE_STATUSES: readonly ExportStatus[] = ACTIVE_STATUSES;
export const ALL_STATUSES: readonly ExportStatus[] = EXPORT_STATUSES;

export const STATUS_LABEL: Record<ExportStatus, string> = {
  queued: "Queued",
  running: "Running",
  archiving: "Archiving",
  ready: "Ready",
  expired: "Expired",
  failed: "Failed",
  cancelled: "Cancelled",
};

/** One sentence per status, read out by screen readers when it changes. */
export const STATUS_SENTENCE: Record<ExportStatus, string> = {
  queued: "Waiting for a worker to pick it up.",
  running: "The warehouse is running the query.",
  archiving: "Packing the result files into a zip archive.",
  ready: "Ready to download.",
  expired: "The file was deleted after its retention period. Run the export again for a fresh one.",
  failed: "The export failed.",
  cancelled: "The export was cancelled.",
};

export function formatBytes(bytes: number | null | undefined): string {
  return bytes === null || bytes === undefined ? "—" : formatBytesOf(bytes);
}

export function formatCount(n: number | null | undefined): string {
  return n === null || n === undefined ? "—" : n.toLocaleString("en-US");
}

/**
 * A fixed, time-zone independent rendering (UTC), so the server and the
 * browser print the same text before hydration; `RelativeTime` switches to
 * local time once mounted.
 */
export function formatUtc(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** "1 Dec 2026, 21:05 CET": the viewer's own time zone, named. */
export function formatLocal(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short" });
}

export function formatRelative(iso: string, now: number): string {
  const diff = Date.parse(iso) - now;
  const abs = Math.abs(diff);
  const rtf = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
  if (abs < 10_000) return "just now";
  if (abs < 60_000) return rtf.format(Math.round(diff / 1000), "second");
  if (abs < 3_600_000) return rtf.format(Math.round(diff / 60_000), "minute");
  if (abs < 86_400_000) return rtf.format(Math.round(diff / 3_600_000), "hour");
  return rtf.format(Math.round(diff / 86_400_000), "day");
}

/** "1.4 s", "3 min 20 s", "2 h 5 min". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  if (seconds < 0.1) return "under 0.1 s";
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

const ACRONYMS: Record<string, string> = { sku: "SKU", skus: "SKUs", id: "ID", ids: "IDs", url: "URL", csv: "CSV", ean: "EAN" };

/** `lowStockOnly` → "Low stock only", `skuPrefix` → "SKU prefix", `updated_since` → "Updated since". */
export function humanize(key: string): string {
  const words = key
    .replace(/[_-]+/g, " ")
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .trim()
    .toLowerCase()
    .split(/\s+/)
    .map((w) => ACRONYMS[w] ?? w);
  const text = words.join(" ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function formatParamValue(v: unknown): string {
  if (v === true) return "yes";
  if (v === false) return "no";
  if (Array.isArray(v)) return v.length > 5 ? `${v.slice(0, 5).join(", ")} and ${v.length - 5} more` : v.join(", ");
  return String(v);
}

/** The filters of an export as [label, value] pairs. */
export function describeParams(params: Record<string, unknown>): [string, string][] {
  return Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => [humanize(k), formatParamValue(v)]);
}

export function describeParamsInline(params: Record<string, unknown>): string {
  const pairs = describeParams(params);
  return pairs.length === 0 ? "No filters" : pairs.map(([k, v]) => `${k}: ${v}`).join(" · ");
}

/** Why an export failed, in words; the warehouse's own message is shown separately. */
export function explainFailure(record: Pick<ExportRecord, "errorCode" | "errorMessage" | "attempts">): string {
  const msg = record.errorMessage ?? "no details were recorded";
  switch (record.errorCode) {
    case "query_failed":
      return `The warehouse rejected the query: ${msg}`;
    case "query_aborted":
      return "The warehouse stopped the query before it finished (it was cancelled there, or hit a resource limit). Running it again usually works.";
    case "gave_up":
      return `The export kept hitting temporary faults, so the worker gave up after ${record.attempts || "several"} attempts. The last fault is shown below.`;
    case "enqueue_failed":
      return "The export could not be put in the work queue, so nothing ran. Please run it again in a minute.";
    case "unknown_dataset":
      return "This dataset no longer exists, so the export cannot run.";
    case "invalid_params":
      return "The filters of this export are no longer valid for the dataset. Start a new export with updated filters.";
    case "statement_missing":
    case "statement_unavailable":
      return "The warehouse result was no longer available, so no archive could be built. Running it again usually works.";
    case "archive_failed":
      return "The result files could not be packed into a zip archive.";
    default:
      return `The export failed: ${msg}`;
  }
}

export const STEP_LABEL: Record<ExportStep["step"], string> = {
  requested: "Requested",
  queued: "Queued",
  started: "Started",
  query_submitted: "Query submitted",
  query_finished: "Query finished",
  archived: "Archive written",
  archive_continued: "Archive continued in a new delivery",
  ready: "Ready to download",
  notified: "Email sent",
  retrying: "Temporary fault, will retry",
  failed: "Failed",
  cancelled: "Cancelled",
  retried: "Retried",
  expired: "Expired",
};

/**
 * The step's detail as short phrases, e.g. ["12,345 rows", "2 files", "4.1 MB"]. The warehouse's
 * statement id is for admins (who trace it in Redshift); to a supplier it is an opaque token.
 */
export function describeStep(step: ExportStep, viewer: "supplier" | "admin"): string[] {
  const d = step.detail ?? {};
  const out: string[] = [];
  const num = (k: string) => (typeof d[k] === "number" ? (d[k] as number) : null);
  const str = (k: string) => (typeof d[k] === "string" ? (d[k] as string) : null);
  switch (step.step) {
    case "requested":
      if (str("by")) out.push(`by ${str("by")}`);
      break;
    case "started":
      if (num("attempt") !== null) out.push(`${d.resumed ? "resumed, " : ""}attempt ${num("attempt")}`);
      break;
    case "query_submitted":
      if (viewer === "admin" && str("statementId")) out.push(`statement ${str("statementId")}`);
      break;
    case "query_finished":
      if (num("rows") !== null) out.push(`${formatCount(num("rows"))} rows`);
      if (num("files") !== null) out.push(`${num("files")} ${num("files") === 1 ? "file" : "files"}`);
      if (num("bytes") !== null) out.push(formatBytes(num("bytes")));
      break;
    case "archived":
      if (num("bytes") !== null) out.push(formatBytes(num("bytes")));
      if (str("sha256")) out.push(`sha256 ${str("sha256")!.slice(0, 12)}…`);
      break;
    case "archive_continued":
      if (num("bytesDone") !== null && num("bytesTotal") !== null) out.push(`${formatBytes(num("bytesDone"))} of ${formatBytes(num("bytesTotal"))} read`);
      if (num("parts") !== null) out.push(`${num("parts")} parts so far`);
      break;
    case "ready":
      if (str("expiresAt")) out.push(`kept until ${formatUtc(str("expiresAt")!)}`);
      break;
    case "notified":
      if (str("to")) out.push(`to ${str("to")}`);
      break;
    case "retrying":
      if (num("attempt") !== null) out.push(`attempt ${num("attempt")}`);
      if (str("message")) out.push(str("message")!);
      if (num("inSeconds") !== null) out.push(`next try in ${formatDuration(num("inSeconds"))}`);
      break;
    case "failed":
      if (str("code")) out.push(str("code")!);
      if (str("message")) out.push(str("message")!);
      break;
    case "cancelled":
    case "retried":
      if (str("by")) out.push(`by ${str("by")}`);
      break;
    default:
      for (const [k, v] of Object.entries(d)) if (v !== null) out.push(`${humanize(k)}: ${String(v)}`);
  }
  return out;
}
