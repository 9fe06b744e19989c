"use client";

/**
 * The export form's live preview: row count, size estimate and first rows of
 * the export the form would request, asked for 400 ms after the last change
 * (debounced) with the previous request aborted, so a fast typist never sees
 * an older answer replace a newer one.
 */
import { useEffect, useState } from "react";
import type { ExportPreview } from "@/lib/exports/preview";
import { ApiClientError, previewExport, type CreateExportInput } from "./api-client";
import { formatBytes, formatCount } from "./format";

const DEBOUNCE_MS = 400;

export type PreviewState =
  | { kind: "idle" }
  | { kind: "loading"; last: ExportPreview | null }
  | { kind: "ready"; preview: ExportPreview }
  | { kind: "error"; message: string; invalid: boolean };

/** Previews `input` (null: nothing to preview yet), debounced; stale requests are aborted. */
export function useExportPreview(input: CreateExportInput | null): PreviewState {
  const key = input ? JSON.stringify(input) : null;
  const [state, setState] = useState<PreviewState>({ kind: "idle" });
  useEffect(() => {
    if (key === null) {
      setState({ kind: "idle" });
      return;
    }
    const controller = new AbortController();
    setState((s) => ({ kind: "loading", last: s.kind === "ready" ? s.preview : s.kind === "loading" ? s.last : null }));
    const timer = setTimeout(() => {
      previewExport(JSON.parse(key) as CreateExportInput, controller.signal).then(
        (preview) => {
          if (!controller.signal.aborted) setState({ kind: "ready", preview });
        },
        (err: unknown) => {
          if (controller.signal.aborted || (err instanceof DOMException && err.name === "AbortError")) return;
          const invalid = err instanceof ApiClientError && err.status === 400;
          setState({ kind: "error", message: err instanceof Error ? err.message : "The preview is not available.", invalid });
        },
      );
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [key]);
  return state;
}

function countText(p: ExportPreview): string {
  if (p.count.kind === "unknown") return "Row count not known yet (the warehouse did not count it in time)";
  const rows = p.count.rows;
  const size = p.estimatedBytes !== null && rows > 0 ? `, about ${formatBytes(p.estimatedBytes)} uncompressed` : "";
  return `${formatCount(rows)} ${rows === 1 ? "row" : "rows"}${size}`;
}

export function PreviewPanel({ state }: { state: PreviewState }) {
  const preview = state.kind === "ready" ? state.preview : state.kind === "loading" ? state.last : null;
  return (
    <section aria-labelledby="preview-title" className="space-y-3" data-testid="export-preview" aria-busy={state.kind === "loading"}>
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 id="preview-title" className="text-base font-semibold text-gray-900">
          Preview
        </h2>
        <p className="text-sm text-gray-700" aria-live="polite" data-testid="preview-count">
          {state.kind === "error"
            ? state.message
            : preview
              ? countText(preview)
              : state.kind === "loading"
                ? "Counting rows…"
                : "Choose a dataset to see a preview."}
          {state.kind === "loading" && preview ? " (updating…)" : ""}
        </p>
      </div>
      {preview && state.kind !== "error"
        ? preview.warnings.map((w) => (
            <p key={w.code} role="status" data-warning={w.code} className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900">
              {w.message}
            </p>
          ))
        : null}
      {preview && state.kind !== "error" && preview.rows.length > 0 ? (
        <div className="max-h-96 overflow-auto rounded-md border border-gray-200" tabIndex={0} role="region" aria-label="First rows of the export">
          <table className="min-w-full text-left text-xs" data-testid="preview-table">
            <caption className="sr-only">The first {preview.rows.length} rows of the export, in the file&apos;s order.</caption>
            <thead className="sticky top-0 bg-gray-50">
              <tr>
                {preview.columns.map((c) => (
                  <th key={c.name} scope="col" className="whitespace-nowrap px-2 py-1.5 font-mono font-semibold text-gray-900">
                    {c.name}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody className="divide-y divide-gray-100">
              {preview.rows.map((r, i) => (
                <tr key={i}>
                  {r.map((v, j) => (
                    <td key={j} className="max-w-64 truncate whitespace-nowrap px-2 py-1 font-mono text-gray-800" title={v ?? "NULL"}>
                      {v === null ? <span className="text-gray-600">NULL</span> : v}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
