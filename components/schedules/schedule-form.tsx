"use client";

import { useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { apiFetch, ApiClientError, type CreateExportInput } from "../api-client";
import { NewExportForm, type DatasetOption } from "../new-export-form";
import { Card, helpClass, inputClass, labelClass } from "../ui";

export type Cadence =
  | { kind: "daily"; time: string }
  | { kind: "weekly"; time: string; weekday: number }
  | { kind: "monthly"; time: string; dayOfMonth: number }
  | { kind: "cron"; expression: string };

export interface ScheduleFormValues {
  id?: string;
  name: string;
  request?: Partial<CreateExportInput>;
  cadence: Cadence;
  timezone: string;
  incremental: boolean;
  destinationIds: string[];
}

interface DestinationOption {
  id: string;
  name: string;
  config: { kind: "s3" | "sftp"; host?: string; bucket?: string };
}

const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];


/**
 * Create and edit a schedule: the export form itself (through its seam), plus
 * a section for timing, incremental mode and destinations.
 */
/** A dataset as the catalog describes it (`GET /api/v1/datasets`), with its change column: null means no incremental runs. */
type ScheduleDataset = DatasetOption & { changeColumn?: string | null };

export function ScheduleForm({ datasets, initial }: { datasets: ScheduleDataset[]; initial?: ScheduleFormValues }) {
  const router = useRouter();
  const browserZone = typeof Intl !== "undefined" ? Intl.DateTimeFormat().resolvedOptions().timeZone : "UTC";
  const [name, setName] = useState(initial?.name ?? "");
  const [kind, setKind] = useState<Cadence["kind"]>(initial?.cadence.kind ?? "daily");
  const [time, setTime] = useState(initial && "time" in initial.cadence ? initial.cadence.time : "06:00");
  const [weekday, setWeekday] = useState(initial?.cadence.kind === "weekly" ? initial.cadence.weekday : 1);
  const [dayOfMonth, setDayOfMonth] = useState(initial?.cadence.kind === "monthly" ? initial.cadence.dayOfMonth : 1);
  const [expression, setExpression] = useState(initial?.cadence.kind === "cron" ? initial.cadence.expression : "0 6 * * 1-5");
  const [timezone, setTimezone] = useState(initial?.timezone ?? browserZone);
  const [incremental, setIncremental] = useState(initial?.incremental ?? false);
  const [destinationIds, setDestinationIds] = useState<string[]>(initial?.destinationIds ?? []);
  const destinations = useQuery({ queryKey: ["destinations"], queryFn: () => apiFetch<{ destinations: DestinationOption[] }>("/api/v1/destinations") });

  const cadence = (): Cadence =>
    kind === "daily" ? { kind, time } : kind === "weekly" ? { kind, time, weekday } : kind === "monthly" ? { kind, time, dayOfMonth } : { kind, expression };

  async function save(request: CreateExportInput) {
    const body = { name, request, cadence: cadence(), timezone, incremental: incremental && Boolean(datasets.find((d) => d.id === request.dataset)?.changeColumn), destinationIds };
    try {
      if (initial?.id) await apiFetch(`/api/v1/schedules/${initial.id}`, { method: "PATCH", body });
      else await apiFetch("/api/v1/schedules", { method: "POST", body });
    } catch (err) {
      // The export form shows `params.*` messages next to its fields; the request's are nested one deeper here.
      if (err instanceof ApiClientError) throw new ApiClientError(err.status, err.code, err.message, err.details.map((d) => ({ ...d, path: d.path.replace(/^request\./, "") })));
      throw err;
    }
    router.push("/schedules");
    router.refresh();
  }

  const section = (
      <Card className="p-5 sm:p-6">
        <fieldset>
          <legend className="text-base font-semibold text-gray-900">4. Schedule</legend>
          <div className="mt-4 grid gap-5 sm:grid-cols-2">
            <div className="sm:col-span-2">
              <label htmlFor="schedule-name" className={labelClass}>
                Name
              </label>
              <input id="schedule-name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} className={inputClass} />
            </div>
            <div>
              <label htmlFor="schedule-kind" className={labelClass}>
                Repeat
              </label>
              <select id="schedule-kind" value={kind} onChange={(e) => setKind(e.target.value as Cadence["kind"])} className={inputClass}>
                <option value="daily">Daily</option>
                <option value="weekly">Weekly</option>
                <option value="monthly">Monthly</option>
                <option value="cron">Cron expression</option>
              </select>
            </div>
            {kind === "cron" ? (
              <div>
                <label htmlFor="schedule-cron" className={labelClass}>
                  Cron expression
                </label>
                <input id="schedule-cron" value={expression} onChange={(e) => setExpression(e.target.value)} className={`${inputClass} font-mono`} aria-describedby="cron-help" />
                <p id="cron-help" className={helpClass}>
                  minute hour day month weekday, e.g. <code>0 6 * * 1-5</code> (06:00 on weekdays).
                </p>
              </div>
            ) : (
              <div>
                <label htmlFor="schedule-time" className={labelClass}>
                  At
                </label>
                <input id="schedule-time" type="time" required value={time} onChange={(e) => setTime(e.target.value)} className={inputClass} />
              </div>
            )}
            {kind === "weekly" ? (
              <div>
                <label htmlFor="schedule-weekday" className={labelClass}>
                  On
                </label>
                <select id="schedule-weekday" value={weekday} onChange={(e) => setWeekday(Number(e.target.value))} className={inputClass}>
                  {WEEKDAYS.map((d, i) => (
                    <option key={d} value={i}>
                      {d}
                    </option>
                  ))}
                </select>
              </div>
            ) : null}
            {kind === "monthly" ? (
              <div>
                <label htmlFor="schedule-day" className={labelClass}>
                  Day of the month
                </label>
                <input id="schedule-day" type="number" min={1} max={28} value={dayOfMonth} onChange={(e) => setDayOfMonth(Number(e.target.value))} className={inputClass} />
              </div>
            ) : null}
            <div>
              <label htmlFor="schedule-tz" className={labelClass}>
                Time zone
              </label>
              <input id="schedule-tz" value={timezone} onChange={(e) => setTimezone(e.target.value)} className={inputClass} aria-describedby="tz-help" />
              <p id="tz-help" className={helpClass}>
                An IANA name such as Europe/Amsterdam; runs keep their local time across daylight-saving changes.
              </p>
            </div>
            <div className="flex items-start gap-3 sm:col-span-2">
              <input id="schedule-incremental" type="checkbox" checked={incremental} onChange={(e) => setIncremental(e.target.checked)} className="mt-0.5 size-4 accent-brand-700" aria-describedby="incremental-help" />
              <div>
                <label htmlFor="schedule-incremental" className={labelClass}>
                  Only rows changed since the last delivered run
                </label>
                <p id="incremental-help" className={helpClass}>
                  Inventory by its last update, reviews by when they were written. Product details have no change time and are always exported whole.
                </p>
              </div>
            </div>
            <fieldset className="sm:col-span-2">
              <legend className={labelClass}>Also deliver to</legend>
              {destinations.data?.destinations.length ? (
                <ul className="mt-2 space-y-2">
                  {destinations.data.destinations.map((d) => (
                    <li key={d.id} className="flex items-center gap-3">
                      <input
                        id={`dest-${d.id}`}
                        type="checkbox"
                        checked={destinationIds.includes(d.id)}
                        onChange={(e) => setDestinationIds((ids) => (e.target.checked ? [...ids, d.id] : ids.filter((x) => x !== d.id)))}
                        className="size-4 accent-brand-700"
                      />
                      <label htmlFor={`dest-${d.id}`} className="text-sm text-gray-800">
                        {d.name} <span className="text-gray-500">({d.config.kind === "sftp" ? `SFTP ${d.config.host}` : `S3 ${d.config.bucket}`})</span>
                      </label>
                    </li>
                  ))}
                </ul>
              ) : (
                <p className={helpClass}>
                  No destinations yet: add an S3 bucket or SFTP server under <a className="font-medium text-brand-700 underline" href="/settings">Settings</a>. Downloads and email work without one.
                </p>
              )}
            </fieldset>
          </div>
        </fieldset>
      </Card>
  );
  return (
    <NewExportForm
      datasets={datasets}
      isAdmin={false}
      seam={{ initialRequest: initial?.request, onSubmitRequest: save, submitLabel: initial?.id ? "Save schedule" : "Create schedule", children: section }}
    />
  );
}
