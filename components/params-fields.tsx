"use client";

/**
 * A filter form generated from a dataset's params JSON Schema: each property
 * becomes one labelled input with its help text and its validation messages.
 *
 *   string                       -> text input (select when it has an enum)
 *   string, format date/date-time
 *   or a date pattern            -> date input
 *   boolean                      -> checkbox
 *   integer / number             -> number input (min/max from the schema)
 *   array of strings             -> textarea, one value per line or comma
 */
import { humanize } from "./format";
import { helpClass, inputClass, labelClass } from "./ui";

export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  format?: string;
  pattern?: string;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  examples?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}

export type FieldKind = "text" | "date" | "date-time" | "select" | "boolean" | "integer" | "number" | "list" | "json";

export interface FieldSpec {
  key: string;
  kind: FieldKind;
  label: string;
  description?: string;
  required: boolean;
  schema: JsonSchema;
  options?: string[];
}

/** Values as the inputs hold them: strings, and booleans for checkboxes. */
export type FieldValues = Record<string, string | boolean>;

/** `{anyOf: [X, {type: "null"}]}` (a nullable field) reads as X. */
function unwrap(s: JsonSchema): JsonSchema {
  const alts = s.anyOf ?? s.oneOf;
  if (alts) {
    const nonNull = alts.filter((a) => a.type !== "null");
    if (nonNull.length === 1) return { ...nonNull[0], title: s.title ?? nonNull[0].title, description: s.description ?? nonNull[0].description, default: s.default ?? nonNull[0].default };
  }
  return s;
}

function typeOf(s: JsonSchema): string | undefined {
  if (Array.isArray(s.type)) return s.type.find((t) => t !== "null");
  return s.type;
}

const DATE_PATTERN = /\\d\{4\}-\\d\{2\}-\\d\{2\}|\[0-9\]\{4\}-/;
/**
 * Date filters whose schema carries no `format` (a refined string, which JSON
 * Schema cannot express) are still recognised by a date-like name, so people
 * get a date picker rather than a free text box.
 */
const DATE_NAME = /(Since|From|To|Until|Before|After|Date|At|_since|_from|_to|_date|_at)$/;

function kindOf(key: string, s: JsonSchema): FieldKind {
  const t = typeOf(s);
  if (t === "boolean") return "boolean";
  if (t === "integer") return "integer";
  if (t === "number") return "number";
  if (t === "array") return typeOf(unwrap(s.items ?? {})) === "string" || !s.items ? "list" : "json";
  if (t === "string" || t === undefined) {
    if (s.enum && s.enum.every((v) => typeof v === "string")) return "select";
    if (s.format === "date") return "date";
    if (s.format === "date-time") return "date-time";
    if (s.pattern && DATE_PATTERN.test(s.pattern)) return "date";
    if (t === "string" && !s.format && DATE_NAME.test(key)) return "date";
    return t === "string" ? "text" : "json";
  }
  return "json";
}

export function fieldsOf(schema: JsonSchema): FieldSpec[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([key, raw]) => {
    const s = unwrap(raw);
    const kind = kindOf(key, s);
    return {
      key,
      kind,
      label: s.title ?? humanize(key),
      description: s.description,
      required: required.has(key) && s.default === undefined,
      schema: s,
      options: kind === "select" ? (s.enum as string[]) : undefined,
    };
  });
}

export function initialValues(fields: FieldSpec[], params: Record<string, unknown> = {}): FieldValues {
  const out: FieldValues = {};
  for (const f of fields) {
    const v = params[f.key] ?? f.schema.default;
    if (f.kind === "boolean") out[f.key] = v === true;
    else if (v === undefined || v === null) out[f.key] = "";
    else if (Array.isArray(v)) out[f.key] = v.map(String).join("\n");
    else if (f.kind === "date" || f.kind === "date-time") out[f.key] = String(v).slice(0, 10);
    else out[f.key] = typeof v === "object" ? JSON.stringify(v) : String(v);
  }
  return out;
}

/** Splits a list box: one value per line or comma. */
export function splitList(text: string): string[] {
  return text
    .split(/[\n,]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * The params object for the API. Empty inputs are left out (the schemas treat
 * a missing filter as "everything"); a number that does not parse is sent as
 * typed so the API's message explains it.
 */
export function toParams(fields: FieldSpec[], values: FieldValues): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const f of fields) {
    const v = values[f.key];
    if (f.kind === "boolean") {
      const def = f.schema.default === true;
      if (v !== def || f.required) params[f.key] = v === true;
      continue;
    }
    const text = typeof v === "string" ? v.trim() : "";
    if (text === "") continue;
    switch (f.kind) {
      case "integer":
      case "number": {
        const n = Number(text);
        params[f.key] = Number.isFinite(n) ? n : text;
        break;
      }
      case "list":
        if (splitList(text).length > 0) params[f.key] = splitList(text);
        break;
      case "date-time":
        params[f.key] = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text;
        break;
      case "json":
        try {
          params[f.key] = JSON.parse(text);
        } catch {
          params[f.key] = text;
        }
        break;
      default:
        params[f.key] = text;
    }
  }
  return params;
}

function hint(f: FieldSpec): string | null {
  const s = f.schema;
  switch (f.kind) {
    case "list": {
      const max = s.maxItems ? ` (up to ${s.maxItems.toLocaleString("en-US")})` : "";
      return `One value per line, or separated by commas${max}.`;
    }
    case "integer":
    case "number":
      if (s.minimum !== undefined && s.maximum !== undefined) return `From ${s.minimum} to ${s.maximum}.`;
      if (s.minimum !== undefined) return `At least ${s.minimum}.`;
      if (s.maximum !== undefined) return `At most ${s.maximum}.`;
      return null;
    case "json":
      return "Enter a JSON value.";
    case "date":
      // The warehouse's timestamps are UTC, and so is a filter's date: say so rather than let people assume local days.
      return f.description && /UTC/.test(f.description) ? null : "A whole day in UTC.";
    default:
      return null;
  }
}

export function ParamsFields({
  fields,
  values,
  errors,
  onChange,
  idPrefix,
}: {
  fields: FieldSpec[];
  values: FieldValues;
  /** Messages per field key, from the API's `details`. */
  errors: Record<string, string[]>;
  onChange: (key: string, value: string | boolean) => void;
  idPrefix: string;
}) {
  if (fields.length === 0) {
    return <p className="text-sm text-gray-600">This dataset has no filters: the export contains all of your rows.</p>;
  }
  return (
    <div className="grid grid-cols-1 gap-5 sm:grid-cols-2">
      {fields.map((f) => {
        const id = `${idPrefix}-${f.key}`;
        const errs = errors[f.key] ?? [];
        const help = [f.description, hint(f)].filter(Boolean).join(" ");
        const describedBy = [help ? `${id}-help` : null, errs.length ? `${id}-error` : null].filter(Boolean).join(" ") || undefined;
        const common = {
          id,
          name: `params.${f.key}`,
          "aria-invalid": errs.length > 0 ? (true as const) : undefined,
          "aria-describedby": describedBy,
          "data-field": f.key,
        };
        const v = values[f.key];
        const errorList = errs.length ? (
          <ul id={`${id}-error`} className="mt-1 space-y-0.5 text-xs font-medium text-red-700">
            {errs.map((m, i) => (
              <li key={i}>{m}</li>
            ))}
          </ul>
        ) : null;
        const helpText = help ? (
          <p id={`${id}-help`} className={helpClass}>
            {help}
          </p>
        ) : null;

        if (f.kind === "boolean") {
          return (
            <div key={f.key} className="sm:col-span-2">
              <div className="flex items-start gap-3">
                <input
                  {...common}
                  type="checkbox"
                  checked={v === true}
                  onChange={(e) => onChange(f.key, e.target.checked)}
                  className="mt-0.5 size-4 rounded border-gray-300 accent-brand-700"
                />
                <div>
                  <label htmlFor={id} className={labelClass}>
                    {f.label}
                  </label>
                  {helpText}
                  {errorList}
                </div>
              </div>
            </div>
          );
        }

        const text = typeof v === "string" ? v : "";
        let control: React.ReactNode;
        switch (f.kind) {
          case "select":
            control = (
              <select {...common} value={text} onChange={(e) => onChange(f.key, e.target.value)} className={inputClass}>
                <option value="">{f.required ? "Choose…" : "Any"}</option>
                {f.options!.map((o) => (
                  <option key={o} value={o}>
                    {o}
                  </option>
                ))}
              </select>
            );
            break;
          case "date":
          case "date-time":
            control = <input {...common} type="date" value={text} onChange={(e) => onChange(f.key, e.target.value)} className={inputClass} />;
            break;
          case "integer":
          case "number":
            control = (
              <input
                {...common}
                type="number"
                inputMode={f.kind === "integer" ? "numeric" : "decimal"}
                step={f.kind === "integer" ? 1 : "any"}
                min={f.schema.minimum ?? f.schema.exclusiveMinimum}
                max={f.schema.maximum ?? f.schema.exclusiveMaximum}
                value={text}
                onChange={(e) => onChange(f.key, e.target.value)}
                className={inputClass}
              />
            );
            break;
          case "list":
            control = (
              <textarea
                {...common}
                rows={3}
                value={text}
                onChange={(e) => onChange(f.key, e.target.value)}
                className={`${inputClass} font-mono`}
                spellCheck={false}
              />
            );
            break;
          default:
            control = (
              <input
                {...common}
                type="text"
                value={text}
                maxLength={f.schema.maxLength}
                onChange={(e) => onChange(f.key, e.target.value)}
                className={inputClass}
                autoComplete="off"
                spellCheck={false}
              />
            );
        }
        return (
          <div key={f.key} className={f.kind === "list" ? "sm:col-span-2" : undefined}>
            <label htmlFor={id} className={labelClass}>
              {f.label}
              {f.required ? <span className="text-red-700"> *</span> : <span className="font-normal text-gray-500"> (optional)</span>}
            </label>
            <div className="mt-1">{control}</div>
            {helpText}
            {errorList}
            {f.kind === "list" && text.trim() ? (
              <p className="mt-1 text-xs text-gray-500" aria-live="polite">
                {splitList(text).length.toLocaleString("en-US")} {splitList(text).length === 1 ? "value" : "values"}
              </p>
            ) : null}
          </div>
        );
      })}
    </div>
  );
}
