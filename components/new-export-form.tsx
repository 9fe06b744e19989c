"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import type { ExportFormat } from "@/lib/exports/model";
import { ApiClientError, createExport, exportQueryKey, redirectToSignIn, type CreateExportInput, type FieldIssue } from "./api-client";
import { humanize } from "./format";
import { fieldsOf, initialValues, ParamsFields, toParams, type FieldValues, type JsonSchema } from "./params-fields";
import { buttonClass, Card, helpClass, labelClass } from "./ui";

export interface DatasetOption {
  id: string;
  title: string;
  description: string;
  columns: { name: string; type: string; description: string }[];
  params: JsonSchema;
}

/** Sorts the API's `details` into messages per form field; what fits no field goes to `general`. */
function sortIssues(details: FieldIssue[], paramKeys: string[]) {
  const params: Record<string, string[]> = {};
  const top: Record<string, string[]> = {};
  const general: string[] = [];
  for (const d of details) {
    const parts = d.path.split(".");
    if (parts[0] === "params" && parts[1] && paramKeys.includes(parts[1])) {
      const item = parts[2] !== undefined && /^\d+$/.test(parts[2]) ? `Value ${Number(parts[2]) + 1}: ` : "";
      (params[parts[1]] ??= []).push(item + d.message);
    } else if (["dataset", "format", "bom", "notify"].includes(parts[0]) && parts.length === 1) {
      (top[parts[0]] ??= []).push(d.message);
    } else {
      general.push(d.path && d.path !== "params" ? `${humanize(d.path.replace(/^params\./, ""))}: ${d.message}` : d.message);
    }
  }
  return { params, top, general };
}

/**
 * The seam other pages reuse the form through (the schedule form): they start
 * it from a stored request, take the request body instead of exporting it
 * (throwing `ApiClientError` with `params.*` paths shows field messages as
 * here), and add their own section before the submit button.
 */
export interface ExportFormSeam {
  initialRequest?: Partial<CreateExportInput>;
  onSubmitRequest?: (request: CreateExportInput) => Promise<unknown>;
  submitLabel?: string;
  children?: ReactNode;
}

export function NewExportForm({
  datasets,
  initialDataset,
  isAdmin,
  seam = {},
}: {
  datasets: DatasetOption[];
  initialDataset?: string;
  isAdmin: boolean;
  seam?: ExportFormSeam;
}) {
  const router = useRouter();
  const queryClient = useQueryClient();
  const startDataset = seam.initialRequest?.dataset ?? initialDataset;
  const [datasetId, setDatasetId] = useState(
    startDataset && datasets.some((d) => d.id === startDataset) ? startDataset : (datasets[0]?.id ?? ""),
  );
  const dataset = datasets.find((d) => d.id === datasetId);
  const fieldsByDataset = useMemo(() => new Map(datasets.map((d) => [d.id, fieldsOf(d.params)])), [datasets]);
  const fields = fieldsByDataset.get(datasetId) ?? [];
  // Filter values are kept per dataset, so switching back and forth loses nothing.
  const [valuesByDataset, setValuesByDataset] = useState<Record<string, FieldValues>>(() =>
    Object.fromEntries(
      datasets.map((d) => [d.id, initialValues(fieldsByDataset.get(d.id) ?? [], d.id === seam.initialRequest?.dataset ? seam.initialRequest.params : {})]),
    ),
  );
  const values = valuesByDataset[datasetId] ?? {};
  const [format, setFormat] = useState<ExportFormat>(seam.initialRequest?.format ?? "csv");
  const [bom, setBom] = useState(seam.initialRequest?.bom ?? false);
  const [notify, setNotify] = useState(seam.initialRequest?.notify ?? true);
  const [issues, setIssues] = useState<ReturnType<typeof sortIssues> | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const summaryRef = useRef<HTMLDivElement>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);

  const mutation = useMutation({
    mutationFn: async (input: CreateExportInput) => (seam.onSubmitRequest ? (await seam.onSubmitRequest(input), null) : createExport(input)),
    onSuccess: (record) => {
      if (!record) return; // the seam's owner navigates
      // The export page shows this record at once and polls from there.
      queryClient.setQueryData(exportQueryKey(record.id), { export: record, steps: [] });
      router.push(`/exports/${record.id}`);
    },
    onError: (err) => {
      if (err instanceof ApiClientError && err.status === 401) return redirectToSignIn();
      const details = err instanceof ApiClientError ? err.details : [];
      const sorted = sortIssues(details, fields.map((f) => f.key));
      setIssues(sorted);
      setFormError(err instanceof Error ? err.message : "The export could not be requested.");
      // Move focus to the first field with a message, else to the summary.
      requestAnimationFrame(() => {
        const firstKey = fields.find((f) => sorted.params[f.key])?.key;
        const el = firstKey ? formRef.current?.querySelector<HTMLElement>(`[data-field="${firstKey}"]`) : null;
        (el ?? summaryRef.current)?.focus();
      });
    },
  });

  function setValue(key: string, value: string | boolean) {
    setValuesByDataset((all) => ({ ...all, [datasetId]: { ...all[datasetId], [key]: value } }));
    setIssues((cur) => (cur && cur.params[key] ? { ...cur, params: { ...cur.params, [key]: [] } } : cur));
  }

  function onSubmit(e: React.FormEvent) {
    e.preventDefault();
    if (!dataset) return;
    setIssues(null);
    setFormError(null);
    mutation.mutate({ dataset: dataset.id, params: toParams(fields, values), format, bom: format === "csv" && bom, notify });
  }

  const pending = mutation.isPending || mutation.isSuccess;

  return (
    <form
      ref={formRef}
      onSubmit={onSubmit}
      className="space-y-6"
      aria-describedby={formError ? "form-error" : undefined}
      data-hydrated={hydrated ? "" : undefined}
    >
      {formError ? (
        <div
          ref={summaryRef}
          id="form-error"
          tabIndex={-1}
          role="alert"
          className="rounded-md border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800"
        >
          <p className="font-semibold">{formError}</p>
          {issues && (issues.general.length > 0 || Object.values(issues.params).some((m) => m.length > 0)) ? (
            <ul className="mt-1 list-disc space-y-0.5 pl-5">
              {fields
                .filter((f) => issues.params[f.key]?.length)
                .map((f) => (
                  <li key={f.key}>
                    {f.label}: {issues.params[f.key][0]}
                  </li>
                ))}
              {issues.general.map((m, i) => (
                <li key={`g${i}`}>{m}</li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}

      <Card className="p-5 sm:p-6">
        <fieldset>
          <legend className="text-base font-semibold text-gray-900">1. Dataset</legend>
          <p className="mt-1 text-sm text-gray-600">
            {isAdmin ? "As an admin, your export contains every supplier's rows." : "Your export contains your own rows only."}
          </p>
          <div className="mt-4 grid grid-cols-1 items-start gap-3 lg:grid-cols-3">
            {datasets.map((d) => {
              const checked = d.id === datasetId;
              return (
                <div
                  key={d.id}
                  className={`flex flex-col rounded-lg border p-4 transition-colors has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-brand-600 ${
                    checked ? "border-brand-600 bg-brand-50/60 ring-1 ring-brand-600" : "border-gray-200 bg-white hover:border-gray-300"
                  }`}
                >
                  <label className="flex cursor-pointer items-start gap-3">
                    <input
                      type="radio"
                      name="dataset"
                      value={d.id}
                      checked={checked}
                      onChange={() => {
                        setDatasetId(d.id);
                        setIssues(null);
                        setFormError(null);
                      }}
                      className="mt-1 size-4 accent-brand-700"
                    />
                    <span className="min-w-0">
                      <span className="block font-medium text-gray-900">{d.title}</span>
                      <span className="mt-0.5 block text-sm text-gray-600">{d.description}</span>
                    </span>
                  </label>
                  <details className="group mt-3 pl-7 text-sm">
                    <summary className="cursor-pointer select-none text-brand-700 hover:underline">
                      {d.columns.length} columns
                    </summary>
                    <dl className="mt-2 space-y-1.5">
                      {d.columns.map((c) => (
                        <div key={c.name}>
                          <dt className="font-mono text-xs text-gray-900">
                            {c.name} <span className="text-gray-400">{c.type}</span>
                          </dt>
                          <dd className="text-xs text-gray-600">{c.description}</dd>
                        </div>
                      ))}
                    </dl>
                  </details>
                </div>
              );
            })}
          </div>
          {issues?.top.dataset?.length ? <p className="mt-2 text-xs font-medium text-red-700">{issues.top.dataset.join(" ")}</p> : null}
        </fieldset>
      </Card>

      {dataset ? (
        <Card className="p-5 sm:p-6">
          <fieldset>
            <legend className="text-base font-semibold text-gray-900">2. Filters</legend>
            <p className="mb-4 mt-1 text-sm text-gray-600">Leave a filter empty to include everything.</p>
            <ParamsFields fields={fields} values={values} errors={issues?.params ?? {}} onChange={setValue} idPrefix={`p-${dataset.id}`} />
          </fieldset>
        </Card>
      ) : null}

      <Card className="p-5 sm:p-6">
        <fieldset>
          <legend className="text-base font-semibold text-gray-900">3. File</legend>
          <div className="mt-4 space-y-5">
            <div role="radiogroup" aria-labelledby="format-label">
              <p id="format-label" className={labelClass}>
                Format
              </p>
              <div className="mt-2 flex flex-wrap gap-3">
                {(
                  [
                    ["csv", "CSV", "Opens in Excel and any spreadsheet."],
                    ["parquet", "Parquet", "Compact and typed, for data tools."],
                  ] as const
                ).map(([value, label, help]) => (
                  <label
                    key={value}
                    className={`flex min-w-44 flex-1 cursor-pointer items-start gap-3 rounded-md border px-3 py-2.5 has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-brand-600 sm:flex-none ${
                      format === value ? "border-brand-600 bg-brand-50/60" : "border-gray-200 bg-white"
                    }`}
                  >
                    <input
                      type="radio"
                      name="format"
                      value={value}
                      checked={format === value}
                      onChange={() => setFormat(value)}
                      className="mt-0.5 size-4 accent-brand-700"
                    />
                    <span>
                      <span className="block text-sm font-medium text-gray-900">{label}</span>
                      <span className="block text-xs text-gray-500">{help}</span>
                    </span>
                  </label>
                ))}
              </div>
              {issues?.top.format?.length ? <p className="mt-1 text-xs font-medium text-red-700">{issues.top.format.join(" ")}</p> : null}
            </div>

            <div className="flex items-start gap-3">
              <input
                id="bom"
                name="bom"
                type="checkbox"
                checked={format === "csv" && bom}
                disabled={format !== "csv"}
                onChange={(e) => setBom(e.target.checked)}
                aria-describedby="bom-help"
                className="mt-0.5 size-4 accent-brand-700"
              />
              <div>
                <label htmlFor="bom" className={`${labelClass} ${format !== "csv" ? "text-gray-400" : ""}`}>
                  Add a byte-order mark for Excel
                </label>
                <p id="bom-help" className={helpClass}>
                  {format === "csv" ? "Helps Excel show accented characters correctly." : "CSV only."}
                </p>
                {issues?.top.bom?.length ? <p className="mt-1 text-xs font-medium text-red-700">{issues.top.bom.join(" ")}</p> : null}
              </div>
            </div>

            <div className="flex items-start gap-3">
              <input
                id="notify"
                name="notify"
                type="checkbox"
                checked={notify}
                onChange={(e) => setNotify(e.target.checked)}
                aria-describedby="notify-help"
                className="mt-0.5 size-4 accent-brand-700"
              />
              <div>
                <label htmlFor="notify" className={labelClass}>
                  Email me when it&apos;s ready
                </label>
                <p id="notify-help" className={helpClass}>
                  Large exports can take a while. You can also leave this page open.
                </p>
              </div>
            </div>
          </div>
        </fieldset>
      </Card>

      {seam.children}

      <div className="flex flex-col-reverse gap-3 sm:flex-row sm:items-center sm:justify-end">
        <p className="text-xs text-gray-500 sm:mr-auto">
          {seam.onSubmitRequest ? "Each run is an ordinary export, listed in your history." : "The export runs in the background; you can follow it on the next page."}
        </p>
        <button type="submit" disabled={pending || !dataset} className={`${buttonClass.primary} px-6`}>
          {pending ? "Saving…" : (seam.submitLabel ?? "Export")}
        </button>
      </div>
    </form>
  );
}
