import type { ExportStatus } from "@/lib/exports/model";
import { STATUS_LABEL } from "./format";

const TONE: Record<ExportStatus, string> = {
  queued: "bg-gray-100 text-gray-700 ring-gray-300",
  running: "bg-sky-50 text-sky-800 ring-sky-300",
  archiving: "bg-indigo-50 text-indigo-800 ring-indigo-300",
  ready: "bg-green-50 text-green-800 ring-green-300",
  expired: "bg-amber-50 text-amber-800 ring-amber-300",
  failed: "bg-red-50 text-red-800 ring-red-300",
  cancelled: "bg-gray-100 text-gray-600 ring-gray-300",
};

const ACTIVE: readonly ExportStatus[] = ["queued", "running", "archiving"];

/**
 * `noRows`: a finished export whose filters matched nothing, shown apart from a ready file.
 * `retrying`: waiting to retry after a temporary fault; it reads "Retrying", not "Running" (its status stays in `data-status`).
 */
export function StatusBadge({ status, size = "sm", noRows = false, retrying = false }: { status: ExportStatus; size?: "sm" | "lg"; noRows?: boolean; retrying?: boolean }) {
  const active = ACTIVE.includes(status);
  const waiting = retrying && active;
  if (noRows && status === "ready") {
    return (
      <span
        data-status="no_rows"
        className={`inline-flex items-center gap-1.5 whitespace-nowrap rounded-full bg-slate-100 font-medium text-slate-800 ring-1 ring-inset ring-slate-300 ${size === "lg" ? "px-3 py-1 text-sm" : "px-2 py-0.5 text-xs"}`}
      >
        <span aria-hidden="true" className="size-1.5 rounded-full bg-current" />
        No rows
      </span>
    );
  }
  return (
    <span
      data-status={status}
      data-retrying={waiting ? "" : undefined}
      className={`inline-flex items-center gap-1.5 whitespace-nowrap rounded-full font-medium ring-1 ring-inset ${waiting ? "bg-amber-50 text-amber-800 ring-amber-300" : TONE[status]} ${
        size === "lg" ? "px-3 py-1 text-sm" : "px-2 py-0.5 text-xs"
      }`}
    >
      <span aria-hidden="true" className={`size-1.5 rounded-full bg-current ${active ? "animate-pulse" : ""}`} />
      {waiting ? "Retrying" : STATUS_LABEL[status]}
    </span>
  );
}
