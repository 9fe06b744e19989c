"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { apiFetch, ApiClientError } from "../api-client";
import { buttonClass, Card, helpClass, inputClass, labelClass, Notice } from "../ui";

type Config =
  | { kind: "s3"; bucket: string; prefix: string; region: string; roleArn: string | null; externalId: string }
  | { kind: "sftp"; host: string; port: number; username: string; directory: string; hostKeyFingerprint: string | null; auth: "password" | "privateKey" };

interface Destination {
  id: string;
  name: string;
  config: Config;
  createdAt: string;
}

interface Delivery {
  id: string;
  exportId: string;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  log: { at: string; ok: boolean; message: string }[];
}

const key = ["destinations"] as const;

/** Settings → Destinations: the supplier's S3 buckets and SFTP servers (credentials sealed, never shown again), Test connection, push log. */
export function Destinations() {
  const queryClient = useQueryClient();
  const [kind, setKind] = useState<"sftp" | "s3">("sftp");
  const [form, setForm] = useState<Record<string, string>>({ port: "22", directory: ".", region: "eu-west-1", prefix: "" });
  const [auth, setAuth] = useState<"password" | "privateKey">("password");
  const [error, setError] = useState<string | null>(null);
  const [tests, setTests] = useState<Record<string, { ok: boolean; message: string }>>({});
  const [openLog, setOpenLog] = useState<string | null>(null);
  const list = useQuery({ queryKey: key, queryFn: () => apiFetch<{ destinations: Destination[] }>("/api/v1/destinations") });
  const log = useQuery({
    queryKey: ["destination-deliveries", openLog],
    queryFn: () => apiFetch<{ deliveries: Delivery[] }>(`/api/v1/destinations/${openLog}/deliveries`),
    enabled: openLog !== null,
  });
  const set = (k: string) => (e: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => setForm((f) => ({ ...f, [k]: e.target.value }));

  const create = useMutation({
    mutationFn: () =>
      apiFetch("/api/v1/destinations", {
        method: "POST",
        body:
          kind === "s3"
            ? { kind, name: form.name, bucket: form.bucket, prefix: form.prefix, region: form.region, ...(form.roleArn ? { roleArn: form.roleArn } : {}) }
            : {
                kind,
                name: form.name,
                host: form.host,
                port: Number(form.port),
                username: form.username,
                directory: form.directory || ".",
                ...(auth === "password" ? { password: form.password } : { privateKey: form.privateKey }),
                ...(form.hostKeyFingerprint ? { hostKeyFingerprint: form.hostKeyFingerprint } : {}),
              },
      }),
    onSuccess: () => {
      setError(null);
      // The password or key leaves the browser's memory with the form: it is never shown again.
      setForm({ port: "22", directory: ".", region: "eu-west-1", prefix: "" });
      void queryClient.invalidateQueries({ queryKey: key });
    },
    onError: (err) => setError(err instanceof ApiClientError ? [err.message, ...err.details.map((d) => `${d.path}: ${d.message}`)].join(" ") : "Could not add it."),
  });
  const test = useMutation({
    mutationFn: (id: string) => apiFetch<{ ok: boolean; message: string }>(`/api/v1/destinations/${id}/test`, { method: "POST" }),
    onSuccess: (result, id) => {
      setTests((t) => ({ ...t, [id]: result }));
      void queryClient.invalidateQueries({ queryKey: key });
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) => apiFetch(`/api/v1/destinations/${id}`, { method: "DELETE" }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: key }),
    onError: (err) => setError(err instanceof ApiClientError ? err.message : "Could not remove it."),
  });

  return (
    <Card className="p-5 sm:p-6">
      <section aria-labelledby="destinations-title">
        <h2 id="destinations-title" className="text-base font-semibold text-gray-900">
          Destinations
        </h2>
        <p className="mt-1 text-sm text-gray-600">Your own S3 bucket or SFTP server, for scheduled exports. Passwords and keys are stored encrypted and never shown again.</p>

        {list.data?.destinations.length ? (
          <ul className="mt-4 divide-y divide-gray-100 rounded-md border border-gray-200">
            {list.data.destinations.map((d) => (
              <li key={d.id} className="p-3 text-sm" data-destination-id={d.id}>
                <div className="flex flex-wrap items-center justify-between gap-2">
                  {/* min-w-0 and break-all: a host key fingerprint or an S3 path is one long word, wider than a phone. */}
                  <div className="min-w-0 break-all">
                    <p className="font-medium text-gray-900">{d.name}</p>
                    <p className="text-gray-600">
                      {d.config.kind === "sftp"
                        ? `SFTP ${d.config.username}@${d.config.host}:${d.config.port} → ${d.config.directory}`
                        : `S3 s3://${d.config.bucket}/${d.config.prefix} (${d.config.region})`}
                    </p>
                    {d.config.kind === "sftp" ? (
                      <p className="text-xs text-gray-500">Host key: {d.config.hostKeyFingerprint ?? "pinned on first connection"}</p>
                    ) : (
                      <p className="text-xs text-gray-500">
                        External id for your role&apos;s trust policy: <code>{d.config.externalId}</code>
                      </p>
                    )}
                  </div>
                  <div className="flex gap-2">
                    <button type="button" className={buttonClass.secondary} disabled={test.isPending} onClick={() => test.mutate(d.id)}>
                      Test connection
                    </button>
                    <button type="button" className={buttonClass.secondary} onClick={() => setOpenLog(openLog === d.id ? null : d.id)}>
                      {openLog === d.id ? "Hide log" : "Log"}
                    </button>
                    <button type="button" className={buttonClass.secondary} onClick={() => remove.mutate(d.id)}>
                      Remove
                    </button>
                  </div>
                </div>
                {tests[d.id] ? (
                  <p role="status" className={`mt-2 ${tests[d.id]!.ok ? "text-green-700" : "text-red-700"}`}>
                    {tests[d.id]!.ok ? "Connection works. " : "Connection failed: "}
                    {tests[d.id]!.message}
                  </p>
                ) : null}
                {openLog === d.id ? (
                  <ul className="mt-2 space-y-1 text-xs text-gray-700">
                    {(log.data?.deliveries ?? []).map((del) => (
                      <li key={del.id}>
                        <a className="text-brand-700 hover:underline" href={`/exports/${del.exportId}`}>
                          {del.exportId}
                        </a>{" "}
                        {del.status}, {del.attempts} attempt(s): {del.log.map((l) => l.message).join(" / ")}
                      </li>
                    ))}
                    {log.data && !log.data.deliveries.length ? <li>No pushes yet.</li> : null}
                  </ul>
                ) : null}
              </li>
            ))}
          </ul>
        ) : null}

        <form
          className="mt-5 grid gap-4 sm:grid-cols-2"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate();
          }}
        >
          {error ? (
            <div className="sm:col-span-2">
              <Notice tone="error" title="Not added">
                {error}
              </Notice>
            </div>
          ) : null}
          <div>
            <label htmlFor="dest-kind" className={labelClass}>
              Kind
            </label>
            <select id="dest-kind" value={kind} onChange={(e) => setKind(e.target.value as "sftp" | "s3")} className={inputClass}>
              <option value="sftp">SFTP server</option>
              <option value="s3">S3 bucket</option>
            </select>
          </div>
          <div>
            <label htmlFor="dest-name" className={labelClass}>
              Name
            </label>
            <input id="dest-name" required value={form.name ?? ""} onChange={set("name")} className={inputClass} />
          </div>
          {kind === "sftp" ? (
            <>
              <div>
                <label htmlFor="dest-host" className={labelClass}>
                  Host
                </label>
                <input id="dest-host" required value={form.host ?? ""} onChange={set("host")} className={inputClass} />
              </div>
              <div>
                <label htmlFor="dest-port" className={labelClass}>
                  Port
                </label>
                <input id="dest-port" type="number" min={1} max={65535} value={form.port} onChange={set("port")} className={inputClass} />
              </div>
              <div>
                <label htmlFor="dest-user" className={labelClass}>
                  User name
                </label>
                <input id="dest-user" required value={form.username ?? ""} onChange={set("username")} className={inputClass} autoComplete="off" />
              </div>
              <div>
                <label htmlFor="dest-dir" className={labelClass}>
                  Folder
                </label>
                <input id="dest-dir" value={form.directory} onChange={set("directory")} className={inputClass} />
              </div>
              <div>
                <label htmlFor="dest-auth" className={labelClass}>
                  Sign in with
                </label>
                <select id="dest-auth" value={auth} onChange={(e) => setAuth(e.target.value as "password" | "privateKey")} className={inputClass}>
                  <option value="password">Password</option>
                  <option value="privateKey">Private key</option>
                </select>
              </div>
              {auth === "password" ? (
                <div>
                  <label htmlFor="dest-password" className={labelClass}>
                    Password
                  </label>
                  <input id="dest-password" type="password" required value={form.password ?? ""} onChange={set("password")} className={inputClass} autoComplete="new-password" />
                </div>
              ) : (
                <div className="sm:col-span-2">
                  <label htmlFor="dest-key" className={labelClass}>
                    Private key (OpenSSH format)
                  </label>
                  <textarea id="dest-key" required rows={4} value={form.privateKey ?? ""} onChange={set("privateKey")} className={`${inputClass} font-mono`} />
                </div>
              )}
              <div className="sm:col-span-2">
                <label htmlFor="dest-fp" className={labelClass}>
                  Host key fingerprint (optional)
                </label>
                <input id="dest-fp" value={form.hostKeyFingerprint ?? ""} onChange={set("hostKeyFingerprint")} className={`${inputClass} font-mono`} placeholder="SHA256:…" aria-describedby="fp-help" />
                <p id="fp-help" className={helpClass}>
                  From <code>ssh-keygen -lf</code> on the server. Left empty, the key seen on the first connection is pinned.
                </p>
              </div>
            </>
          ) : (
            <>
              <div>
                <label htmlFor="dest-bucket" className={labelClass}>
                  Bucket
                </label>
                <input id="dest-bucket" required value={form.bucket ?? ""} onChange={set("bucket")} className={inputClass} />
              </div>
              <div>
                <label htmlFor="dest-prefix" className={labelClass}>
                  Prefix
                </label>
                <input id="dest-prefix" value={form.prefix} onChange={set("prefix")} className={inputClass} placeholder="exports/acme/" />
              </div>
              <div>
                <label htmlFor="dest-region" className={labelClass}>
                  Region
                </label>
                <input id="dest-region" required value={form.region} onChange={set("region")} className={inputClass} />
              </div>
              <div>
                <label htmlFor="dest-role" className={labelClass}>
                  Role ARN
                </label>
                <input id="dest-role" value={form.roleArn ?? ""} onChange={set("roleArn")} className={inputClass} placeholder="arn:aws:iam::123456789012:role/acme-exports" aria-describedby="role-help" />
                <p id="role-help" className={helpClass}>
                  A role in your account that may s3:PutObject here; its trust policy names our account and the external id shown after you add it.
                </p>
              </div>
            </>
          )}
          <div className="sm:col-span-2">
            <button type="submit" className={buttonClass.primary} disabled={create.isPending}>
              Add destination
            </button>
          </div>
        </form>
      </section>
    </Card>
  );
}
