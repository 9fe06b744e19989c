"use client";

/**
 * Which columns the export has, and in what order: a checkbox per column
 * (checked = exported) and Up/Down buttons to move it. Buttons rather than
 * drag and drop, so it works the same with a keyboard, a screen reader and a
 * touch screen; the list announces each move.
 */
import { useState } from "react";
import { buttonClass, helpClass } from "./ui";

export interface PickerColumn {
  name: string;
  type: string;
  description: string;
}

export function ColumnPicker({
  columns,
  order,
  chosen,
  onChange,
  idPrefix,
  error,
}: {
  /** The dataset's columns, in catalog order. */
  columns: PickerColumn[];
  /** Every column name, in the order they will be written. */
  order: string[];
  /** The names that are exported. */
  chosen: ReadonlySet<string>;
  onChange: (order: string[], chosen: Set<string>) => void;
  idPrefix: string;
  error?: string;
}) {
  const [announcement, setAnnouncement] = useState("");
  const byName = new Map(columns.map((c) => [c.name, c]));
  const move = (i: number, by: -1 | 1) => {
    const j = i + by;
    if (j < 0 || j >= order.length) return;
    const next = [...order];
    [next[i], next[j]] = [next[j], next[i]];
    onChange(next, new Set(chosen));
    setAnnouncement(`${order[i]} moved to position ${j + 1} of ${order.length}.`);
    // Keep the focus on the same button of the moved column, so repeated presses keep moving it.
    requestAnimationFrame(() => document.getElementById(`${idPrefix}-${order[i]}-${by < 0 ? "up" : "down"}`)?.focus());
  };
  const toggle = (name: string, on: boolean) => {
    const next = new Set(chosen);
    if (on) next.add(name);
    else next.delete(name);
    onChange(order, next);
  };
  const all = chosen.size === columns.length;
  return (
    <div>
      <div className="flex flex-wrap items-center gap-2">
        <p className="text-sm text-gray-700" id={`${idPrefix}-count`}>
          {chosen.size} of {columns.length} columns, in this order.
        </p>
        <button type="button" className={`${buttonClass.secondary} px-2 py-1 text-xs`} onClick={() => onChange(columns.map((c) => c.name), new Set(columns.map((c) => c.name)))} disabled={all && order.every((n, i) => n === columns[i].name)}>
          All, in the usual order
        </button>
      </div>
      <ol className="mt-2 divide-y divide-gray-100 rounded-md border border-gray-200" aria-describedby={`${idPrefix}-count`}>
        {order.map((name, i) => {
          const c = byName.get(name)!;
          const id = `${idPrefix}-${name}`;
          return (
            <li key={name} className="flex items-center gap-3 px-3 py-2">
              <input id={id} type="checkbox" checked={chosen.has(name)} onChange={(e) => toggle(name, e.target.checked)} className="size-4 accent-brand-700" aria-describedby={`${id}-desc`} />
              <label htmlFor={id} className="min-w-0 flex-1 cursor-pointer">
                <span className="font-mono text-sm text-gray-900">{name}</span> <span className="text-xs text-gray-600">{c.type}</span>
                <span id={`${id}-desc`} className="block text-xs text-gray-600">
                  {c.description}
                </span>
              </label>
              <span className="flex shrink-0 gap-1">
                <button id={`${id}-up`} type="button" className={`${buttonClass.secondary} px-2 py-1 text-xs`} onClick={() => move(i, -1)} disabled={i === 0} aria-label={`Move ${name} up`}>
                  ↑
                </button>
                <button id={`${id}-down`} type="button" className={`${buttonClass.secondary} px-2 py-1 text-xs`} onClick={() => move(i, 1)} disabled={i === order.length - 1} aria-label={`Move ${name} down`}>
                  ↓
                </button>
              </span>
            </li>
          );
        })}
      </ol>
      <p className="sr-only" aria-live="polite">
        {announcement}
      </p>
      {error ? <p className="mt-1 text-xs font-medium text-red-700">{error}</p> : <p className={helpClass}>Unticked columns are left out of the file.</p>}
    </div>
  );
}
