"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import type { ExportRecord, ExportStatus } from "@/lib/exports/model";
import {
  ApiClientError,
  cancelExport,
  createExport,
  downloadHref,
  exportQueryKey,
  fetchExport,
  redirectToSignIn,
  retryExport,
  type ExportView,
} from "./api-client";
import { CopyButton } from "./copy-button";
import {
  CANCELLABLE_STATUSES,
  describeFormat,
  describeParams,
  DONE_STATUSES,
  explainFailure,
  formatBytes,
  formatCount,
  formatDuration,
} from "./format";
import { isNoRows, summarizeExport, type ExportSummary } from "@/lib/exports/outcome";
import { RelativeTime } from "./relative-time";
import { StatusBadge } from "./status-badge";
import { StepTimeline } from "./step-timeline";
import { buttonClass, Card, Facts, Notice } from "./ui";

/** How often the page asks for news while the export is not finished. */
const POLL_MS = 1_500;

function isNewer(a: ExportView, b: ExportView): boolean {
  return a.export.updatedAt > b.export.updatedAt || (a.export.updatedAt === b.export.updatedAt && a.steps.length > b.steps.length);
}

const PHASES: { status: ExportStatus; label: string }[] = [
  { status: "queued", label: "Queued" },
  { status: "running", label: "Query" },
  { status: "archiving", label: "Archive" },
  { status: "ready", label: "Ready" },
];

function PhaseBar({ status }: { status: ExportStatus }) {
  const current = PHASES.findIndex((p) => p.status === status);
  if (current < 0) return null;
  return (
    <ol className="mt-5 grid grid-cols-4 gap-2" aria-label="Progress">
      {PHASES.map((p, i) => {
        const done = i < current || status === "ready";
        const active = i === current && status !== "ready";
        return (
          <li key={p.status} aria-current={active ? "step" : undefined}>
            <div
              className={`h-1.5 rounded-full ${done ? "bg-brand-600" : active ? "animate-pulse bg-brand-600/50" : "bg-gray-200"}`}
              aria-hidden="true"
            />
            <p className={`mt-1.5 text-xs ${done || active ? "font-medium text-gray-900" : "text-gray-500"}`}>{p.label}</p>
          </li>
        );
      })}
    </ol>
  );
}

/** The summary's sentence with a live countdown during a retry wait ("Retrying in 12 s (attempt 2 of 3)"). */
function liveMessage(summary: ExportSummary, now: number): string {
  if (summary.phase !== "retry_wait" || !summary.retry) return summary.message;
  const left = Math.ceil((Date.parse(summary.retry.at) - now) / 1000);
  const { attempt, of } = summary.retry;
  return left > 0 ? `A temporary fault interrupted it. Retrying in ${left} s (attempt ${attempt} of ${of}).` : `Retrying now (attempt ${attempt} of ${of}).`;
}

/** What the timeline's last line says while the export is not finished. */
function pendingNote(summary: ExportSummary, now: number): string | null {
  switch (summary.phase) {
    case "queued":
    case "queued_long":
    case "running":
    case "retry_wait":
    case "archiving":
      return liveMessage(summary, now);
    default:
      return null;
  }
}

/** Before the first poll answers (a record the form just got back), the page makes its own summary. */
function fallbackSummary(rec: ExportRecord): ExportSummary {
  return summarizeExport(rec, [], new Date(), 3);
}

export function ExportDetail({
  initial,
  datasetTitle,
  mode,
  backHref,
  supplierName,
}: {
  initial: ExportView;
  /** Admin view: the supplier's display name. */
  supplierName?: string;
  datasetTitle: string;
  /** `admin` shows supplier, attempts and statement, and offers Retry instead of Run again. */
  mode: "supplier" | "admin";
  backHref: string;
}) {
  const id = initial.export.id;
  const router = useRouter();
  const queryClient = useQueryClient();

  const query = useQuery({
    queryKey: exportQueryKey(id),
    queryFn: ({ signal }) => fetchExport(id, signal),
    initialData: initial,
    refetchInterval: (q) => {
      const status = q.state.data?.export.status;
      if (q.state.error instanceof ApiClientError && q.state.error.status < 500) return false;
      return status && DONE_STATUSES.includes(status) ? false : POLL_MS;
    },
  });

  // The cache may hold an older copy (the record the form got back): the server's is fresher.
  useEffect(() => {
    const cached = queryClient.getQueryData<ExportView>(exportQueryKey(id));
    if (!cached || isNewer(initial, cached)) queryClient.setQueryData(exportQueryKey(id), initial);
  }, [initial, id, queryClient]);

  useEffect(() => {
    if (query.error instanceof ApiClientError && query.error.status === 401) redirectToSignIn();
  }, [query.error]);

  const view = query.data;
  const rec = view.export;
  const summary = view.summary ?? fallbackSummary(rec);
  const noRows = isNoRows(rec);
  // A clock for the retry countdown; it only ticks while a retry is pending.
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (summary.phase !== "retry_wait") return;
    const t = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(t);
  }, [summary.phase]);
  const progress = view.archiveProgress ?? summary.progress ?? null;
  const [confirmCancel, setConfirmCancel] = useState(false);
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  const [actionError, setActionError] = useState<string | null>(null);

  const applyRecord = (next: ExportRecord) => {
    queryClient.setQueryData<ExportView>(exportQueryKey(id), (old) => ({
      export: next,
      steps: old?.steps ?? [],
      archiveProgress: next.status === "archiving" ? (old?.archiveProgress ?? null) : null,
    }));
    void queryClient.invalidateQueries({ queryKey: exportQueryKey(id) });
  };
  const onActionError = (err: unknown) => {
    if (err instanceof ApiClientError && err.status === 401) return redirectToSignIn();
    setActionError(err instanceof Error ? err.message : "That did not work. Please try again.");
    void queryClient.invalidateQueries({ queryKey: exportQueryKey(id) });
  };

  const cancel = useMutation({
    mutationFn: () => cancelExport(id),
    onMutate: () => setActionError(null),
    onSuccess: (next) => {
      setConfirmCancel(false);
      applyRecord(next);
    },
    onError: (err) => {
      setConfirmCancel(false);
      onActionError(err);
    },
  });
  const retry = useMutation({
    mutationFn: () => retryExport(id),
    onMutate: () => setActionError(null),
    onSuccess: applyRecord,
    onError: onActionError,
  });
  const runAgain = useMutation({
    mutationFn: () =>
      createExport({
        dataset: rec.dataset,
        params: rec.params,
        format: rec.format,
        bom: rec.bom,
        ...(rec.columns ? { columns: rec.columns } : {}),
        ...(rec.format === "csv" && rec.delimiter ? { delimiter: rec.delimiter } : {}),
        notify: rec.notify,
        // An admin re-running a supplier's export keeps it that supplier's.
        ...(mode === "admin" && rec.supplierId ? { supplierId: rec.supplierId } : {}),
      }),
    onMutate: () => setActionError(null),
    onSuccess: (next) => {
      queryClient.setQueryData(exportQueryKey(next.id), { export: next, steps: [] });
      router.push(mode === "admin" ? `/admin/exports/${next.id}` : `/exports/${next.id}`);
    },
    onError: onActionError,
  });

  const cancellable = CANCELLABLE_STATUSES.includes(rec.status);
  const finished = DONE_STATUSES.includes(rec.status);
  // From a worker starting it to the end; an export that never started has no duration.
  const duration = rec.finishedAt && rec.startedAt ? (Date.parse(rec.finishedAt) - Date.parse(rec.startedAt)) / 1000 : null;
  const filters = describeParams(rec.params);
  const pollProblem = query.error && !(query.error instanceof ApiClientError && query.error.status === 401);

  const facts: [React.ReactNode, React.ReactNode][] = [
    ["Dataset", datasetTitle],
    [
      "Filters",
      filters.length === 0 ? (
        <span className="text-gray-500">None (all rows)</span>
      ) : (
        <ul className="space-y-0.5">
          {filters.map(([k, v]) => (
            <li key={k}>
              <span className="text-gray-500">{k}:</span> {v}
            </li>
          ))}
        </ul>
      ),
    ],
    ["Format", describeFormat(rec)],
    ["Columns", rec.columns ? <span className="font-mono text-xs">{rec.columns.join(", ")}</span> : "All, in the usual order"],
    ["Requested", <RelativeTime key="c" iso={rec.createdAt} />],
    ["Rows", formatCount(rec.rowCount)],
    // No rows: no zip was written, so it has no files (the warehouse's empty part is not one).
    ["Files in the zip", noRows ? "No zip" : formatCount(rec.fileCount)],
    ["Size", formatBytes(rec.archiveBytes)],
    ["Duration", duration !== null ? formatDuration(duration) : "—"],
  ];
  if (rec.expiresAt && (rec.status === "ready" || rec.status === "expired")) {
    facts.push([rec.status === "expired" ? "Expired" : "Available until", <RelativeTime key="e" iso={rec.expiresAt} />]);
  }
  facts.push(["Email", emailFact(rec)]);
  if (mode === "admin") {
    facts.push(["Supplier", rec.supplierId ? `${supplierName ?? rec.supplierId} (${rec.supplierId})` : "All suppliers"]);
    facts.push(["Requested by", rec.requesterEmail]);
    facts.push(["Attempts", String(rec.attempts)]);
    facts.push(["Warehouse statement", rec.statementId ? <code key="s" className="break-all text-xs">{rec.statementId}</code> : "—"]);
  }

  return (
    <div className="space-y-6" data-hydrated={hydrated ? "" : undefined}>
      <div>
        <Link href={backHref} className="text-sm text-gray-600 hover:text-gray-900 hover:underline">
          ← {mode === "admin" ? "All exports" : "Export history"}
        </Link>
        <div className="mt-2 flex flex-col gap-4 sm:flex-row sm:items-start sm:justify-between">
          <div className="min-w-0">
            <h1 className="text-2xl font-semibold tracking-tight text-gray-900">{datasetTitle}</h1>
            <p className="mt-1 flex flex-wrap items-center gap-2 text-xs text-gray-500">
              <code className="break-all">{rec.id}</code>
            </p>
          </div>
          <div className="flex flex-wrap items-center gap-2">
            {rec.status === "ready" && !noRows ? (
              <a href={downloadHref(rec.id)} className={buttonClass.primary} download>
                <svg aria-hidden="true" viewBox="0 0 20 20" fill="currentColor" className="size-4">
                  <path d="M10 3a1 1 0 0 1 1 1v7.59l2.3-2.3a1 1 0 1 1 1.4 1.42l-4 4a1 1 0 0 1-1.4 0l-4-4a1 1 0 1 1 1.4-1.42L9 11.6V4a1 1 0 0 1 1-1ZM4 15a1 1 0 0 1 1 1h10a1 1 0 1 1 2 0 2 2 0 0 1-2 2H5a2 2 0 0 1-2-2 1 1 0 0 1 1-1Z" />
                </svg>
                Download zip
              </a>
            ) : null}
            {mode === "admin" && rec.status === "failed" ? (
              <button type="button" onClick={() => retry.mutate()} disabled={retry.isPending} className={buttonClass.primary}>
                {retry.isPending ? "Retrying…" : "Retry"}
              </button>
            ) : null}
            {cancellable && !confirmCancel ? (
              <button type="button" onClick={() => setConfirmCancel(true)} className={buttonClass.danger}>
                Cancel export
              </button>
            ) : null}
            {finished && mode === "supplier" ? (
              <button type="button" onClick={() => runAgain.mutate()} disabled={runAgain.isPending} className={buttonClass.secondary}>
                {runAgain.isPending ? "Starting…" : "Run again"}
              </button>
            ) : null}
          </div>
        </div>
      </div>

      {confirmCancel && cancellable ? (
        <div role="alertdialog" aria-labelledby="cancel-title" aria-describedby="cancel-desc" className="rounded-md border border-red-200 bg-red-50 px-4 py-3">
          <p id="cancel-title" className="text-sm font-semibold text-red-900">
            Cancel this export?
          </p>
          <p id="cancel-desc" className="mt-1 text-sm text-red-800">
            The query is stopped in the warehouse and nothing is kept. You can run it again later.
          </p>
          <div className="mt-3 flex flex-wrap gap-2">
            <button type="button" onClick={() => cancel.mutate()} disabled={cancel.isPending} className={buttonClass.dangerSolid} autoFocus>
              {cancel.isPending ? "Cancelling…" : "Yes, cancel it"}
            </button>
            <button type="button" onClick={() => setConfirmCancel(false)} className={buttonClass.secondary}>
              Keep it running
            </button>
          </div>
        </div>
      ) : null}

      {actionError ? (
        <Notice tone="error" role="alert">
          {actionError}
        </Notice>
      ) : null}

      <Card className="p-5 sm:p-6">
        <div role="status" aria-live="polite" aria-atomic="true" className="flex flex-wrap items-center gap-3">
          <StatusBadge status={rec.status} size="lg" noRows={noRows} retrying={summary.phase === "retry_wait"} />
          <p className="text-sm text-gray-700" data-testid="status-message" data-phase={summary.phase}>
            {liveMessage(summary, now)}
          </p>
        </div>
        {noRows ? null : <PhaseBar status={rec.status} />}
        {rec.status === "archiving" && progress && progress.bytesTotal > 0 ? (
          <div className="mt-4" data-testid="archive-progress">
            {/* Styled through its parts: with a height set, Chromium drops the native bar (and accent-color) for a green one on grey. */}
            <progress
              className="h-2 w-full appearance-none overflow-hidden rounded-full bg-gray-200 [&::-moz-progress-bar]:bg-brand-600 [&::-webkit-progress-bar]:bg-gray-200 [&::-webkit-progress-value]:bg-brand-600"
              value={progress.bytesDone}
              max={progress.bytesTotal}
              aria-label="Archive progress"
            />
            <p className="mt-1 text-xs text-gray-700">
              {formatBytes(progress.bytesDone)} of {formatBytes(progress.bytesTotal)} packed
            </p>
          </div>
        ) : null}
        {pollProblem ? (
          <p className="mt-3 text-xs text-amber-800">
            {query.error instanceof Error ? query.error.message : "Could not refresh."} {finished ? "" : "Still trying…"}
          </p>
        ) : null}

        {rec.status === "failed" ? (
          <div className="mt-5 rounded-md border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-900">
            <p className="font-semibold">Why it failed</p>
            <p className="mt-1" data-testid="failure-explanation">
              {/* Suppliers get the plain-words message the API already put in errorMessage; admins the diagnosis. */}
              {mode === "admin" ? explainFailure(rec) : (rec.errorMessage ?? explainFailure(rec))}
            </p>
            {mode === "admin" && rec.errorMessage ? (
              <>
                <p className="mt-3 text-xs font-medium uppercase tracking-wide text-red-800">
                  {rec.errorCode === "query_failed" ? "Message from the warehouse" : "Details"}
                  {rec.errorCode ? <span className="ml-2 font-mono normal-case">({rec.errorCode})</span> : null}
                </p>
                <pre className="mt-1 overflow-x-auto whitespace-pre-wrap break-words rounded bg-white/70 p-2 font-mono text-xs text-red-950">
                  {rec.errorMessage}
                </pre>
              </>
            ) : null}
            <p className="mt-3 text-xs text-red-800">
              {mode === "admin" ? "Retry runs the same export again as a new attempt." : `Run it again. If it fails again, contact support with the export id ${rec.id}.`}
            </p>
          </div>
        ) : null}

        {rec.status === "ready" && rec.sha256 ? (
          <div className="mt-5 rounded-md bg-gray-50 px-3 py-2">
            <p className="text-xs font-medium uppercase tracking-wide text-gray-500">SHA-256 of the zip</p>
            <div className="mt-1 flex items-start gap-2">
              <code className="min-w-0 flex-1 break-all font-mono text-xs text-gray-900" data-testid="sha256">
                {rec.sha256}
              </code>
              <CopyButton value={rec.sha256} label="Copy SHA-256 checksum" />
            </div>
          </div>
        ) : null}
      </Card>

      <div className="grid grid-cols-1 items-start gap-6 lg:grid-cols-5">
        <Card className="p-5 sm:p-6 lg:col-span-3">
          <h2 className="mb-4 text-base font-semibold text-gray-900">Details</h2>
          <Facts items={facts} />
        </Card>
        <Card className="p-5 sm:p-6 lg:col-span-2">
          <h2 className="mb-4 text-base font-semibold text-gray-900">Steps</h2>
          <StepTimeline steps={view.steps} pending={pendingNote(summary, now)} noRows={noRows} viewer={mode} />
        </Card>
      </div>
    </div>
  );
}


/** Whether the email went, will go, or will not (cancelled: nothing is sent). */
function emailFact(rec: ExportRecord): string {
  if (!rec.notify) return "Off";
  if (rec.notifiedAt) return `Sent to ${rec.requesterEmail}`;
  if (rec.status === "cancelled") return "Not sent: the export was cancelled";
  if (rec.status === "expired") return "Not sent";
  // Refused before it was queued: the request's own answer said so, and no email follows.
  if (rec.status === "failed" && rec.errorCode === "enqueue_failed") return "Not sent: the export never started";
  if (rec.status === "ready" || rec.status === "failed") return `Being sent to ${rec.requesterEmail}`;
  return `Will be sent to ${rec.requesterEmail} when it finishes`;
}
