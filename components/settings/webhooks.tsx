"use client";

import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { apiFetch, ApiClientError } from "../api-client";
import { SecretValue } from "../copy-button";
import { RelativeTime } from "../relative-time";
import { buttonClass, Card, helpClass, inputClass, labelClass, Notice, scrollRegionClass } from "../ui";

type WebhookEvent = "export.ready" | "export.failed" | "export.delivered";

interface Endpoint {
  id: string;
  url: string;
  events: WebhookEvent[];
  description: string;
  createdAt: string;
}

interface Delivery {
  id: string;
  exportId: string;
  event: WebhookEvent;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  lastAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
}

const endpointsKey = ["webhooks"] as const;
const EVENTS: WebhookEvent[] = ["export.ready", "export.failed", "export.delivered"];

/** Settings → Webhooks: register endpoints (signing secret shown once), remove them, see each one's deliveries. */
export function Webhooks() {
  const queryClient = useQueryClient();
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<WebhookEvent[]>(EVENTS);
  const [created, setCreated] = useState<{ url: string; secret: string } | null>(null);
  const [open, setOpen] = useState<string | null>(null);

  const endpoints = useQuery({ queryKey: endpointsKey, queryFn: ({ signal }) => apiFetch<{ endpoints: Endpoint[] }>("/api/v1/webhooks", { signal }) });
  const create = useMutation({
    mutationFn: () => apiFetch<{ endpoint: Endpoint; secret: string }>("/api/v1/webhooks", { method: "POST", body: { url, events } }),
    onSuccess: (res) => {
      setCreated({ url: res.endpoint.url, secret: res.secret });
      setUrl("");
      void queryClient.invalidateQueries({ queryKey: endpointsKey });
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) => apiFetch<null>(`/api/v1/webhooks/${encodeURIComponent(id)}`, { method: "DELETE" }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: endpointsKey }),
  });

  return (
    <Card className="p-5">
      <h2 className="text-lg font-semibold text-gray-900">Webhooks</h2>
      <p className="mt-1 text-sm text-gray-600">
        We POST a signed JSON message to your endpoint when an export is ready or has failed, and retry with backoff for 24 hours until it answers 2xx.
        See <a className="font-medium text-brand-700 hover:underline" href="/docs/api#webhooks">how to verify the signature</a>.
      </p>
      <form
        className="mt-4 space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          setCreated(null);
          create.mutate();
        }}
      >
        <div>
          <label htmlFor="webhook-url" className={labelClass}>
            Endpoint URL
          </label>
          <input id="webhook-url" type="url" className={`${inputClass} mt-1`} value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://erp.example.com/hooks/exports" required />
          <p className={helpClass}>HTTPS. Redirects are not followed; answer within 10 seconds.</p>
        </div>
        <fieldset>
          <legend className={labelClass}>Events</legend>
          <div className="mt-1 flex flex-wrap gap-x-4 gap-y-2">
            {EVENTS.map((ev) => (
              <label key={ev} className="inline-flex items-center gap-2 text-sm text-gray-800">
                <input type="checkbox" checked={events.includes(ev)} onChange={(e) => setEvents((cur) => (e.target.checked ? [...cur, ev] : cur.filter((x) => x !== ev)))} />
                <code>{ev}</code>
              </label>
            ))}
          </div>
        </fieldset>
        <button type="submit" className={buttonClass.primary} disabled={create.isPending || events.length === 0}>
          {create.isPending ? "Adding…" : "Add endpoint"}
        </button>
      </form>
      {create.error ? (
        <div className="mt-3">
          <Notice tone="error" role="alert">{(create.error as ApiClientError).message}</Notice>
        </div>
      ) : null}
      {created ? (
        <div className="mt-4">
          <Notice tone="success" title="Endpoint added" role="status">
            <p>Its signing secret is shown only this once:</p>
            <SecretValue value={created.secret} label="Copy the signing secret" />
          </Notice>
        </div>
      ) : null}

      <ul className="mt-6 divide-y divide-gray-100">
        {endpoints.data?.endpoints.length === 0 ? <li className="py-2 text-sm text-gray-500">No endpoints yet.</li> : null}
        {endpoints.data?.endpoints.map((e) => (
          <li key={e.id} className="py-3">
            <div className="flex flex-wrap items-center gap-2">
              <code className="min-w-0 flex-1 break-all text-sm text-gray-900">{e.url}</code>
              <span className="text-xs text-gray-500">{e.events.join(", ")}</span>
              <button type="button" className={buttonClass.secondary} onClick={() => setOpen(open === e.id ? null : e.id)} aria-expanded={open === e.id}>
                {open === e.id ? "Hide deliveries" : "Deliveries"}
              </button>
              <button
                type="button"
                className={buttonClass.danger}
                onClick={() => {
                  if (window.confirm(`Remove ${e.url}? Pending deliveries to it stop.`)) remove.mutate(e.id);
                }}
              >
                Remove
              </button>
            </div>
            {open === e.id ? <Deliveries endpointId={e.id} /> : null}
          </li>
        ))}
      </ul>
    </Card>
  );
}

const statusTone: Record<Delivery["status"], string> = {
  pending: "bg-amber-50 text-amber-800",
  delivered: "bg-green-50 text-green-800",
  failed: "bg-red-50 text-red-800",
};

function Deliveries({ endpointId }: { endpointId: string }) {
  const q = useQuery({
    queryKey: ["webhook-deliveries", endpointId],
    queryFn: ({ signal }) => apiFetch<{ deliveries: Delivery[] }>(`/api/v1/webhooks/${encodeURIComponent(endpointId)}/deliveries`, { signal }),
    refetchInterval: 10_000,
  });
  if (q.isPending) return <p className="mt-2 text-sm text-gray-500">Loading deliveries…</p>;
  if (q.error) return <Notice tone="error">{(q.error as ApiClientError).message}</Notice>;
  if (q.data.deliveries.length === 0) return <p className="mt-2 text-sm text-gray-500">Nothing sent yet.</p>;
  return (
    <div role="region" aria-label="Deliveries" tabIndex={0} className={`mt-2 ${scrollRegionClass}`}>
      <table className="min-w-full text-left text-xs">
        <thead className="uppercase tracking-wide text-gray-500">
          <tr>
            <th className="py-1 pr-3 font-medium">Event</th>
            <th className="py-1 pr-3 font-medium">Export</th>
            <th className="py-1 pr-3 font-medium">Status</th>
            <th className="py-1 pr-3 font-medium">Attempts</th>
            <th className="py-1 pr-3 font-medium">Last response</th>
            <th className="py-1 font-medium">Next retry</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-gray-100">
          {q.data.deliveries.map((d) => (
            <tr key={d.id}>
              <td className="py-1 pr-3 font-mono">{d.event}</td>
              <td className="py-1 pr-3">
                <a className="text-brand-700 hover:underline" href={`/exports/${d.exportId}`}>
                  {d.exportId.slice(-6)}
                </a>
              </td>
              <td className="py-1 pr-3">
                <span className={`rounded px-1.5 py-0.5 font-medium ${statusTone[d.status]}`}>{d.status}</span>
              </td>
              <td className="py-1 pr-3">{d.attempts}</td>
              <td className="py-1 pr-3" title={d.lastError ?? undefined}>
                {d.lastStatusCode ?? (d.lastError ? "no answer" : "—")}
                {d.lastError ? <span className="ml-1 text-gray-500">{d.lastError.slice(0, 60)}</span> : null}
              </td>
              <td className="py-1">{d.nextAttemptAt ? <RelativeTime iso={d.nextAttemptAt} /> : "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
