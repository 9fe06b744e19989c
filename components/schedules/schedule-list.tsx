"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { apiFetch, ApiClientError } from "../api-client";
import { StatusBadge } from "../status-badge";
import { buttonClass, Card, EmptyState, Notice } from "../ui";
import { describeCadence, inZone } from "./describe";
import type { Cadence } from "./schedule-form";

interface ScheduleView {
  schedule: {
    id: string;
    name: string;
    request: { dataset?: string };
    cadence: Cadence;
    timezone: string;
    incremental: boolean;
    destinationIds: string[];
    status: "active" | "paused";
    nextRunAt: string | null;
    cursor: string | null;
    pendingRun: { windowFrom: string | null; windowTo: string | null; exportId: string | null } | null;
    lastRunAt: string | null;
    lastRunStatus: string | null;
    lastRunError: string | null;
  };
  lastRun: { exportId: string; status: string; rowCount: number | null } | null;
}

/** The Schedules page: next run, last run and its status, the cursor; Run now, pause/resume, edit, delete. */
export function ScheduleList() {
  const queryClient = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const list = useQuery({
    queryKey: ["schedules"],
    queryFn: () => apiFetch<{ schedules: ScheduleView[] }>("/api/v1/schedules"),
    // Runs start and finish in the background: keep the list current while a run is under way.
    refetchInterval: (q) => (q.state.data?.schedules.some((s) => s.schedule.pendingRun || (s.schedule.nextRunAt && Date.parse(s.schedule.nextRunAt) < Date.now() + 60_000)) ? 2000 : 15_000),
  });
  const act = useMutation({
    mutationFn: ({ id, action }: { id: string; action: "run" | "pause" | "resume" | "delete" }) =>
      action === "delete" ? apiFetch(`/api/v1/schedules/${id}`, { method: "DELETE" }) : apiFetch(`/api/v1/schedules/${id}/${action}`, { method: "POST" }),
    onSuccess: () => {
      setError(null);
      void queryClient.invalidateQueries({ queryKey: ["schedules"] });
    },
    onError: (err) => setError(err instanceof ApiClientError ? err.message : "That did not work. Try again."),
  });

  if (list.isPending) return <p className="text-sm text-gray-500">Loading schedules…</p>;
  if (list.isError) return <Notice tone="error" title="Could not load schedules">{list.error.message}</Notice>;
  const schedules = list.data.schedules;
  if (!schedules.length) return <EmptyState title="No schedules yet" action={{ href: "/schedules/new", label: "New schedule" }}>Send an export every morning, only what changed, to your own storage.</EmptyState>;

  return (
    <div className="space-y-4">
      {error ? <Notice tone="error" title="Not done">{error}</Notice> : null}
      {schedules.map(({ schedule: s, lastRun }) => (
        <Card key={s.id} className="p-5">
          <article aria-label={s.name} data-schedule-id={s.id}>
            <div className="flex flex-wrap items-start justify-between gap-3">
              <div>
                <h2 className="text-base font-semibold text-gray-900">{s.name}</h2>
                <p className="text-sm text-gray-600">
                  {s.request.dataset} · {describeCadence(s.cadence, s.timezone)}
                  {s.incremental ? " · incremental" : ""}
                  {s.destinationIds.length ? ` · ${s.destinationIds.length} destination${s.destinationIds.length > 1 ? "s" : ""}` : ""}
                </p>
              </div>
              <div className="flex flex-wrap gap-2">
                <button type="button" className={buttonClass.primary} disabled={s.status !== "active" || act.isPending} onClick={() => act.mutate({ id: s.id, action: "run" })}>
                  Run now
                </button>
                <button type="button" className={buttonClass.secondary} disabled={act.isPending} onClick={() => act.mutate({ id: s.id, action: s.status === "active" ? "pause" : "resume" })}>
                  {s.status === "active" ? "Pause" : "Resume"}
                </button>
                <Link href={`/schedules/${s.id}/edit`} className={buttonClass.secondary}>
                  Edit
                </Link>
                <button
                  type="button"
                  className={buttonClass.secondary}
                  disabled={act.isPending}
                  onClick={() => {
                    if (window.confirm(`Delete the schedule "${s.name}"? Its past runs stay in your history.`)) act.mutate({ id: s.id, action: "delete" });
                  }}
                >
                  Delete
                </button>
              </div>
            </div>
            <dl className="mt-4 grid gap-3 text-sm sm:grid-cols-4">
              <div>
                <dt className="text-gray-500">Next run</dt>
                <dd data-testid="next-run">{s.status === "paused" ? "Paused" : s.nextRunAt ? inZone(s.nextRunAt, s.timezone) : "—"}</dd>
              </div>
              <div>
                <dt className="text-gray-500">Last run</dt>
                <dd data-testid="last-run">
                  {lastRun ? (
                    <Link className="text-brand-700 hover:underline" href={`/exports/${lastRun.exportId}`}>
                      {s.lastRunAt ? inZone(s.lastRunAt, s.timezone) : "view"}
                    </Link>
                  ) : (
                    "Never"
                  )}
                </dd>
              </div>
              <div>
                <dt className="text-gray-500">Status</dt>
                <dd data-testid="last-status" className="flex items-center gap-2">
                  {s.pendingRun && lastRun ? <StatusBadge status={lastRun.status as never} /> : s.lastRunStatus ? <span className="font-medium">{s.lastRunStatus}</span> : "—"}
                  {lastRun?.rowCount != null ? <span className="text-gray-500">{lastRun.rowCount.toLocaleString("en-US")} rows</span> : null}
                </dd>
              </div>
              <div>
                <dt className="text-gray-500">Cursor</dt>
                <dd data-testid="cursor">{s.incremental ? (s.cursor ? `rows changed since ${inZone(s.cursor, s.timezone)}` : "from the beginning") : "full export"}</dd>
              </div>
            </dl>
            {s.lastRunError ? <p className="mt-3 text-sm text-red-700">{s.lastRunError}</p> : null}
          </article>
        </Card>
      ))}
    </div>
  );
}
