/**
 * The browser's side of the JSON API: one fetch wrapper that turns the
 * `{error: {code, message, details?}}` body into a typed error, and the calls
 * the pages make.
 */
import type { CsvDelimiter, ExportFormat, ExportRecord, ExportStep, ExportView as StoredExportView } from "@/lib/exports/model";
import type { ExportSummary } from "@/lib/exports/outcome";
import type { ExportPreview } from "@/lib/exports/preview";
import type { TCreateExportRequest } from "@/lib/exports/schemas";

export interface FieldIssue {
  path: string;
  message: string;
}

export class ApiClientError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: FieldIssue[] = [],
  ) {
    super(message);
    this.name = "ApiClientError";
  }
}

function toIssues(details: unknown): FieldIssue[] {
  if (!Array.isArray(details)) return [];
  return details.filter(
    (d): d is FieldIssue => typeof d === "object" && d !== null && typeof (d as FieldIssue).path === "string" && typeof (d as FieldIssue).message === "string",
  );
}

export async function apiFetch<T>(url: string, init: { method?: "GET" | "POST" | "PATCH" | "DELETE"; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: init.method ?? "GET",
      headers: { accept: "application/json", ...(init.body !== undefined ? { "content-type": "application/json" } : {}) },
      body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
      credentials: "same-origin",
      cache: "no-store",
      signal: init.signal,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === "AbortError") throw err;
    throw new ApiClientError(0, "network", "The portal could not be reached. Check your connection and try again.");
  }
  const body: unknown = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    const e = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
    throw new ApiClientError(
      res.status,
      typeof e?.code === "string" ? e.code : "http_" + res.status,
      typeof e?.message === "string" ? e.message : `The request failed (HTTP ${res.status}).`,
      toIssues(e?.details),
    );
  }
  return body as T;
}

/** Sends a signed-out browser to the sign-in page, back here afterwards. */
export function redirectToSignIn(): void {
  const back = window.location.pathname + window.location.search;
  window.location.assign(`/signin?callbackUrl=${encodeURIComponent(back)}`);
}

/**
 * The export as the page holds it: the API's view, except that a record the
 * form just got back has no summary yet (the page computes it then), and the
 * archive step may report its progress.
 */
export type ExportView = Omit<StoredExportView, "summary"> & {
  summary?: ExportSummary;
  archiveProgress?: { bytesDone: number; bytesTotal: number } | null;
};

/** The body of POST /api/v1/exports, as the service's schema takes it. */
export type CreateExportInput = TCreateExportRequest;

export function previewExport(input: CreateExportInput, signal?: AbortSignal): Promise<ExportPreview> {
  return apiFetch<ExportPreview>("/api/v1/exports/preview", { method: "POST", body: input, signal });
}

export async function fetchParamOptions(dataset: string, param: string, supplierId?: string): Promise<string[]> {
  const q = supplierId ? `?supplierId=${encodeURIComponent(supplierId)}` : "";
  return (await apiFetch<{ values: string[] }>(`/api/v1/datasets/${encodeURIComponent(dataset)}/options/${encodeURIComponent(param)}${q}`)).values;
}

export const exportQueryKey = (id: string) => ["export", id] as const;

export function fetchExport(id: string, signal?: AbortSignal): Promise<ExportView> {
  return apiFetch<ExportView>(`/api/v1/exports/${encodeURIComponent(id)}`, { signal });
}

export async function createExport(input: CreateExportInput): Promise<ExportRecord> {
  return (await submitExport(input)).export;
}

/** `deduplicated`: an identical export of the caller's is still queued or running, and this is it. */
export function submitExport(input: CreateExportInput): Promise<{ export: ExportRecord; deduplicated?: true }> {
  return apiFetch<{ export: ExportRecord; deduplicated?: true }>("/api/v1/exports", { method: "POST", body: input });
}

export async function cancelExport(id: string): Promise<ExportRecord> {
  return (await apiFetch<{ export: ExportRecord }>(`/api/v1/exports/${encodeURIComponent(id)}/cancel`, { method: "POST" })).export;
}

export async function retryExport(id: string): Promise<ExportRecord> {
  return (await apiFetch<{ export: ExportRecord }>(`/api/v1/exports/${encodeURIComponent(id)}/retry`, { method: "POST" })).export;
}

export function downloadHref(id: string): string {
  return `/api/v1/exports/${encodeURIComponent(id)}/download`;
}
