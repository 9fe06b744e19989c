"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import Link from "next/link";
import type { CsvDelimiter, ExportFormat, ExportRecord } from "@/lib/exports/model";
import { ApiClientError, exportQueryKey, fetchParamOptions, redirectToSignIn, submitExport, type CreateExportInput, type FieldIssue } from "./api-client";
import { ColumnPicker } from "./column-picker";
import { PreviewPanel, useExportPreview } from "./export-preview";
import { humanize } from "./format";
import { fieldsOf, initialValues, ParamsFields, splitList, toParams, type FieldSpec, type FieldValues, type JsonSchema } from "./params-fields";
import { buttonClass, Card, helpClass, inputClass, labelClass, Notice } from "./ui";

const FORMATS: readonly (readonly [ExportFormat, string, string])[] = [
  ["csv", "CSV", "Opens in Excel and any spreadsheet."],
  ["xlsx", "Excel (XLSX)", "One workbook with typed cells."],
  ["jsonl", "JSON Lines", "One JSON object per line, for scripts."],
  ["parquet", "Parquet", "Compact and typed, for data tools."],
];

const DELIMITERS: readonly (readonly [CsvDelimiter, string])[] = [
  [",", "Comma"],
  [";", "Semicolon (Excel in Dutch, German, French…)"],
  ["\t", "Tab (.tsv file)"],
];

export interface DatasetOption {
  id: string;
  title: string;
  description: string;
  columns: { name: string; type: string; description: string }[];
  params: JsonSchema;
  /** Filters whose values the options endpoint lists (offered as a select). */
  paramOptions?: string[];
}

/** What the person typed for a field (the n-th value of a list), quoted in its message. */
function typedValue(f: FieldSpec | undefined, values: FieldValues, item: number | null): string | null {
  if (!f) return null;
  const v = values[f.key];
  if (typeof v !== "string" || v.trim() === "") return null;
  return item !== null ? (splitList(v)[item] ?? null) : v.trim();
}

/** Sorts the API's `details` into messages per form field; what fits no field goes to `general`. */
function sortIssues(details: FieldIssue[], fields: FieldSpec[], values: FieldValues) {
  const params: Record<string, string[]> = {};
  const top: Record<string, string[]> = {};
  const general: string[] = [];
  for (const d of details) {
    const parts = d.path.split(".");
    const field = fields.find((f) => f.key === parts[1]);
    if (parts[0] === "params" && field) {
      const item = parts[2] !== undefined && /^\d+$/.test(parts[2]) ? Number(parts[2]) : null;
      const typed = typedValue(field, values, item);
      (params[field.key] ??= []).push(typed !== null ? `“${typed}”: ${d.message}` : d.message);
    } else if (["dataset", "format", "bom", "notify", "columns", "delimiter"].includes(parts[0]) && parts.length <= 2) {
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
  initialDataset: initialDatasetProp,
  isAdmin,
  seam = {},
}: {
  datasets: DatasetOption[];
  initialDataset?: string;
  isAdmin: boolean;
  seam?: ExportFormSeam;
}) {
  const initialDataset = seam.initialRequest?.dataset ?? initialDatasetProp;
  const start = seam.initialRequest;
  const unknownDataset = initialDataset !== undefined && !datasets.some((d) => d.id === initialDataset) ? initialDataset : null;
  const router = useRouter();
  const queryClient = useQueryClient();
  const [datasetId, setDatasetId] = useState(
    initialDataset && datasets.some((d) => d.id === initialDataset) ? initialDataset : (datasets[0]?.id ?? ""),
  );
  const dataset = datasets.find((d) => d.id === datasetId);
  const fieldsByDataset = useMemo(() => new Map(datasets.map((d) => [d.id, fieldsOf(d.params)])), [datasets]);
  // Filters with a list of the supplier's own values (its warehouses) become selects once the list arrives.
  const [optionLists, setOptionLists] = useState<Record<string, string[]>>({});
  useEffect(() => {
    const wanted = (dataset?.paramOptions ?? []).filter((p) => !optionLists[`${datasetId}.${p}`]);
    for (const param of wanted) {
      fetchParamOptions(datasetId, param).then(
        (values) => setOptionLists((all) => ({ ...all, [`${datasetId}.${param}`]: values })),
        () => undefined, // the field stays a text box
      );
    }
  }, [dataset, datasetId, optionLists]);
  const fields = useMemo(
    () =>
      (fieldsByDataset.get(datasetId) ?? []).map((f) => {
        const options = optionLists[`${datasetId}.${f.key}`];
        return options && options.length > 0 ? { ...f, kind: "select" as const, options } : f;
      }),
    [fieldsByDataset, datasetId, optionLists],
  );
  // Filter values are kept per dataset, so switching back and forth loses nothing.
  const [valuesByDataset, setValuesByDataset] = useState<Record<string, FieldValues>>(() =>
    Object.fromEntries(datasets.map((d) => [d.id, initialValues(fieldsByDataset.get(d.id) ?? [], d.id === start?.dataset ? start.params : {})])),
  );
  const values = valuesByDataset[datasetId] ?? {};
  const [columnsByDataset, setColumnsByDataset] = useState<Record<string, { order: string[]; chosen: Set<string> }>>(() =>
    Object.fromEntries(
      datasets.map((d) => {
        const all = d.columns.map((c) => c.name);
        const picked = d.id === start?.dataset && start.columns ? start.columns.filter((c) => all.includes(c)) : null;
        return [d.id, picked ? { order: [...picked, ...all.filter((c) => !picked.includes(c))], chosen: new Set(picked) } : { order: all, chosen: new Set(all) }];
      }),
    ),
  );
  const columnState = columnsByDataset[datasetId];
  const [format, setFormat] = useState<ExportFormat>(start?.format ?? "csv");
  const [delimiter, setDelimiter] = useState<CsvDelimiter>(start?.delimiter ?? ",");
  // On by default: suppliers' data has accents and Japanese titles, which Excel garbles without it.
  const [bom, setBom] = useState(start?.bom ?? true);
  const [notify, setNotify] = useState(start?.notify ?? true);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [duplicate, setDuplicate] = useState<ExportRecord | null>(null);
  const [issues, setIssues] = useState<ReturnType<typeof sortIssues> | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const summaryRef = useRef<HTMLDivElement>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);

  const chosenColumns = columnState ? columnState.order.filter((n) => columnState.chosen.has(n)) : [];
  const allColumnsInOrder = dataset !== undefined && chosenColumns.length === dataset.columns.length && chosenColumns.every((n, i) => n === dataset.columns[i].name);
  const input: CreateExportInput | null =
    dataset && chosenColumns.length > 0
      ? {
          dataset: dataset.id,
          params: toParams(fields, values),
          format,
          ...(allColumnsInOrder ? {} : { columns: chosenColumns }),
          ...(format === "csv" ? { delimiter } : {}),
          bom: format === "csv" && bom,
          notify,
        }
      : null;
  // The preview needs no notify flag: leave it out so ticking the box asks nothing new.
  const previewInput = input ? { ...input, notify: true } : null;
  const preview = useExportPreview(previewInput);

  const mutation = useMutation({
    mutationFn: async (i: CreateExportInput) => (seam.onSubmitRequest ? (await seam.onSubmitRequest(i), null) : submitExport(i)),
    onSuccess: (result) => {
      if (!result) return; // the seam's owner navigates
      const { export: record, deduplicated } = result;
      if (deduplicated) {
        // The same export is already queued or running: say so and link to it rather than silently opening it.
        setDuplicate(record);
        requestAnimationFrame(() => document.getElementById("duplicate-notice")?.focus());
        return;
      }
      // The export page shows this record at once and polls from there.
      queryClient.setQueryData(exportQueryKey(record.id), { export: record, steps: [] });
      router.push(`/exports/${record.id}`);
    },
    onError: (err) => {
      if (err instanceof ApiClientError && err.status === 401) return redirectToSignIn();
      const details = err instanceof ApiClientError ? err.details : [];
      const sorted = sortIssues(details, fields, values);
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

  function setColumns(order: string[], chosen: Set<string>) {
    setColumnsByDataset((all) => ({ ...all, [datasetId]: { order, chosen } }));
    setConfirming(null);
  }

  /** The preview's warning that deserves a second click: no rows, or a very large result. */
  function warningToConfirm(): string | null {
    if (preview.kind !== "ready") return null;
    const w = preview.preview.warnings.find((x) => x.code === "no_rows" || x.code === "large");
    return w ? w.message : null;
  }

  function onSubmit(e: React.FormEvent, confirmed = false) {
    e.preventDefault();
    if (!dataset || !input) return;
    setIssues(null);
    setFormError(null);
    setDuplicate(null);
    // A schedule runs later: what the data holds now is no reason to ask twice.
    const warning = confirmed || seam.onSubmitRequest ? null : warningToConfirm();
    if (warning) {
      setConfirming(warning);
      requestAnimationFrame(() => document.getElementById("confirm-export")?.focus());
      return;
    }
    setConfirming(null);
    mutation.mutate(input);
  }

  const pending = mutation.isPending || (mutation.isSuccess && !mutation.data?.deduplicated);

  return (
    <form
      ref={formRef}
      onSubmit={onSubmit}
      className="space-y-6"
      aria-describedby={formError ? "form-error" : undefined}
      data-hydrated={hydrated ? "" : undefined}
    >
      {unknownDataset !== null ? (
        <Notice tone="warning" role="alert">
          The link asked for a dataset called “{unknownDataset}”, which does not exist. Pick one of the datasets below.
        </Notice>
      ) : null}
      {duplicate ? (
        <div id="duplicate-notice" tabIndex={-1} role="alert" className="rounded-md border border-sky-300 bg-sky-50 px-4 py-3 text-sm text-sky-900">
          <p className="font-semibold">You already have this export running.</p>
          <p className="mt-1">
            An identical export is {duplicate.status}; it was not started twice.{" "}
            <Link href={`/exports/${duplicate.id}`} className="font-medium underline">
              Open the running export
            </Link>
          </p>
        </div>
      ) : null}
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

      {dataset && columnState ? (
        <Card className="p-5 sm:p-6">
          <fieldset>
            <legend className="text-base font-semibold text-gray-900">3. Columns</legend>
            <p className="mb-3 mt-1 text-sm text-gray-600">Pick the columns you need and put them in the order you want.</p>
            <ColumnPicker
              columns={dataset.columns}
              order={columnState.order}
              chosen={columnState.chosen}
              onChange={setColumns}
              idPrefix={`col-${dataset.id}`}
              error={chosenColumns.length === 0 ? "Choose at least one column." : issues?.top.columns?.join(" ")}
            />
          </fieldset>
        </Card>
      ) : null}

      <Card className="p-5 sm:p-6">
        <fieldset>
          <legend className="text-base font-semibold text-gray-900">4. File</legend>
          <div className="mt-4 space-y-5">
            <div role="radiogroup" aria-labelledby="format-label">
              <p id="format-label" className={labelClass}>
                Format
              </p>
              <div className="mt-2 grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-4">
                {FORMATS.map(([value, label, help]) => (
                  <label
                    key={value}
                    className={`flex cursor-pointer items-start gap-3 rounded-md border px-3 py-2.5 has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-brand-600 ${
                      format === value ? "border-brand-600 bg-brand-50/60" : "border-gray-200 bg-white"
                    }`}
                  >
                    <input
                      type="radio"
                      name="format"
                      value={value}
                      checked={format === value}
                      onChange={() => {
                        setFormat(value);
                        setConfirming(null);
                      }}
                      className="mt-0.5 size-4 accent-brand-700"
                    />
                    <span>
                      <span className="block text-sm font-medium text-gray-900">{label}</span>
                      <span className="block text-xs text-gray-600">{help}</span>
                    </span>
                  </label>
                ))}
              </div>
              {format === "xlsx" ? (
                <p className={helpClass}>Excel holds 1,048,575 rows per sheet; a larger export continues on further sheets of the same workbook. The workbook is built in one go, which must finish within the worker&apos;s time limit (15 minutes on AWS), so for millions of rows choose CSV: its archive can take as long as it needs.</p>
              ) : null}
              {issues?.top.format?.length ? <p className="mt-1 text-xs font-medium text-red-700">{issues.top.format.join(" ")}</p> : null}
            </div>

            {format === "csv" ? (
              <>
                <div>
                  <label htmlFor="delimiter" className={labelClass}>
                    Separator
                  </label>
                  <select id="delimiter" name="delimiter" value={delimiter} onChange={(e) => setDelimiter(e.target.value as CsvDelimiter)} className={`${inputClass} mt-1 sm:max-w-lg`} aria-describedby="delimiter-help">
                    {DELIMITERS.map(([value, label]) => (
                      <option key={value} value={value}>
                        {label}
                      </option>
                    ))}
                  </select>
                  <p id="delimiter-help" className={helpClass}>
                    Excel splits a CSV by your computer&apos;s list separator: a comma in English settings, a semicolon where the comma is the decimal mark (Dutch, German…). With semicolons, decimal numbers are written with a decimal comma (12,50), here in the preview too; with a comma or a tab, with a dot (12.50).
                  </p>
                  {issues?.top.delimiter?.length ? <p className="mt-1 text-xs font-medium text-red-700">{issues.top.delimiter.join(" ")}</p> : null}
                </div>
                <div className="flex items-start gap-3">
                  <input id="bom" name="bom" type="checkbox" checked={bom} onChange={(e) => setBom(e.target.checked)} aria-describedby="bom-help" className="mt-0.5 size-4 accent-brand-700" />
                  <div>
                    <label htmlFor="bom" className={labelClass}>
                      Add a byte-order mark for Excel
                    </label>
                    <p id="bom-help" className={helpClass}>
                      On by default: without it Excel garbles accents and non-Latin text (é, 東京). Turn it off for tools that do not expect it.
                    </p>
                    {issues?.top.bom?.length ? <p className="mt-1 text-xs font-medium text-red-700">{issues.top.bom.join(" ")}</p> : null}
                  </div>
                </div>
              </>
            ) : null}

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

      <Card className="p-5 sm:p-6">
        <PreviewPanel state={preview} />
      </Card>

      {confirming ? (
        <div role="alertdialog" aria-labelledby="confirm-title" aria-describedby="confirm-desc" className="rounded-md border border-amber-300 bg-amber-50 px-4 py-3">
          <p id="confirm-title" className="text-sm font-semibold text-amber-900">
            Export anyway?
          </p>
          <p id="confirm-desc" className="mt-1 text-sm text-amber-900">
            {confirming}
          </p>
          <div className="mt-3 flex flex-wrap gap-2">
            <button id="confirm-export" type="button" className={buttonClass.primary} onClick={(e) => onSubmit(e, true)} disabled={pending}>
              Export anyway
            </button>
            <button type="button" className={buttonClass.secondary} onClick={() => setConfirming(null)}>
              Change the filters
            </button>
          </div>
        </div>
      ) : null}

      {seam.children}

      <div className="flex flex-col-reverse gap-3 sm:flex-row sm:items-center sm:justify-end">
        <p className="text-xs text-gray-600 sm:mr-auto">
          {seam.onSubmitRequest ? "Each run is an ordinary export, listed in your history." : "The export runs in the background; you can follow it on the next page."}
        </p>
        <button type="submit" disabled={pending || !input} className={`${buttonClass.primary} px-6`}>
          {pending ? (seam.onSubmitRequest ? "Saving…" : "Requesting…") : (seam.submitLabel ?? "Export")}
        </button>
      </div>
    </form>
  );
}
