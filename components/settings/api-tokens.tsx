"use client";

import { useEffect, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { apiFetch, ApiClientError } from "../api-client";
import { SecretValue } from "../copy-button";
import { RelativeTime } from "../relative-time";
import { buttonClass, Card, helpClass, inputClass, labelClass, Notice, scrollRegionClass } from "../ui";

interface ApiToken {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  scopes: string[];
  expiresAt: string | null;
}

/** The scopes a token can have (lib/tokens/scopes.ts), with what each allows. */
const SCOPES: { id: string; label: string }[] = [
  { id: "exports:read", label: "exports:read – list and read exports, download archives" },
  { id: "exports:write", label: "exports:write – request and cancel exports" },
  { id: "webhooks:manage", label: "webhooks:manage – register, list and delete webhooks" },
  { id: "audit:read", label: "audit:read – read your supplier's audit log" },
];

const tokensKey = ["api-tokens"] as const;

/** Settings → API tokens: create (secret shown once), list, revoke with a confirmation. */
export function ApiTokens() {
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<string[]>(["exports:read"]);
  const [expiresInDays, setExpiresInDays] = useState<string>("90");
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  // Marks the form interactive for tests (and keeps it disabled until then).
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);

  const tokens = useQuery({ queryKey: tokensKey, queryFn: ({ signal }) => apiFetch<{ tokens: ApiToken[] }>("/api/v1/tokens", { signal }) });
  const create = useMutation({
    mutationFn: (tokenName: string) =>
      apiFetch<{ token: ApiToken; secret: string }>("/api/v1/tokens", {
        method: "POST",
        body: { name: tokenName, scopes, expiresInDays: expiresInDays === "never" ? null : Number(expiresInDays) },
      }),
    onSuccess: (res) => {
      setCreated({ name: res.token.name, secret: res.secret });
      setName("");
      void queryClient.invalidateQueries({ queryKey: tokensKey });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => apiFetch<{ token: ApiToken }>(`/api/v1/tokens/${encodeURIComponent(id)}`, { method: "DELETE" }),
    onSuccess: () => {
      setConfirming(null);
      void queryClient.invalidateQueries({ queryKey: tokensKey });
    },
  });

  return (
    <Card className="p-5">
      <h2 className="text-lg font-semibold text-gray-900" data-hydrated={hydrated ? "" : undefined}>
        API tokens
      </h2>
      <p className="mt-1 text-sm text-gray-600">
        Applications send a token as <code className="rounded bg-gray-100 px-1">Authorization: Bearer &lt;token&gt;</code>. A token acts as you, for your
        supplier only. Revoked tokens stop working at once.
      </p>

      <form
        className="mt-4 flex flex-col gap-2 sm:flex-row sm:items-end"
        onSubmit={(e) => {
          e.preventDefault();
          setCreated(null);
          create.mutate(name);
        }}
      >
        <div className="flex-1">
          <label htmlFor="token-name" className={labelClass}>
            Token name
          </label>
          <input id="token-name" className={`${inputClass} mt-1`} value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. ERP nightly sync" maxLength={80} required />
          <p className={helpClass}>Say what uses it, so you know what breaks when you revoke it.</p>
        </div>
        <button type="submit" className={buttonClass.primary} disabled={create.isPending || name.trim() === "" || scopes.length === 0}>
          {create.isPending ? "Creating…" : "Create token"}
        </button>
      </form>
      <div className="mt-3 grid gap-4 sm:grid-cols-2">
        <fieldset>
          <legend className={labelClass}>Scopes</legend>
          {SCOPES.map((s) => (
            <label key={s.id} className="mt-1 flex items-start gap-2 text-sm text-gray-700">
              <input
                type="checkbox"
                name="scope"
                value={s.id}
                checked={scopes.includes(s.id)}
                onChange={(e) => setScopes((cur) => (e.target.checked ? [...cur, s.id] : cur.filter((x) => x !== s.id)))}
                className="mt-1"
              />
              <span>{s.label}</span>
            </label>
          ))}
          <p className={helpClass}>A call outside these gets 403 naming the missing scope. A token never does more than your role allows.</p>
        </fieldset>
        <div>
          <label htmlFor="token-expiry" className={labelClass}>
            Expires
          </label>
          <select id="token-expiry" className={`${inputClass} mt-1`} value={expiresInDays} onChange={(e) => setExpiresInDays(e.target.value)}>
            <option value="7">in 7 days</option>
            <option value="30">in 30 days</option>
            <option value="90">in 90 days</option>
            <option value="365">in a year</option>
            <option value="never">never</option>
          </select>
        </div>
      </div>
      {create.error ? (
        <div className="mt-3">
          <Notice tone="error" role="alert">{(create.error as ApiClientError).message}</Notice>
        </div>
      ) : null}

      {created ? (
        <div className="mt-4" data-testid="new-token">
          <Notice tone="success" title={`Token "${created.name}" created`} role="status">
            <p>Copy it now: it is shown only this once. We keep only a fingerprint of it.</p>
            <SecretValue value={created.secret} label="Copy the token" testId="token-secret" />
          </Notice>
        </div>
      ) : null}

      <div role="region" aria-label="API tokens" tabIndex={0} className={`mt-6 ${scrollRegionClass}`}>
        {tokens.isPending ? (
          <p className="text-sm text-gray-500">Loading tokens…</p>
        ) : tokens.error ? (
          <Notice tone="error">{(tokens.error as ApiClientError).message}</Notice>
        ) : tokens.data.tokens.length === 0 ? (
          <p className="text-sm text-gray-500">No tokens yet.</p>
        ) : (
          <table className="min-w-full text-left text-sm">
            <thead className="text-xs uppercase tracking-wide text-gray-500">
              <tr>
                <th className="py-2 pr-4 font-medium">Name</th>
                <th className="py-2 pr-4 font-medium">Token</th>
                <th className="py-2 pr-4 font-medium">Scopes</th>
                <th className="py-2 pr-4 font-medium">Expires</th>
                <th className="py-2 pr-4 font-medium">Created</th>
                <th className="py-2 pr-4 font-medium">Last used</th>
                <th className="py-2 font-medium">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-gray-100">
              {tokens.data.tokens.map((t) => (
                <tr key={t.id} data-testid="token-row" className={t.revokedAt ? "text-gray-600" : ""}>
                  <td className="py-2 pr-4 font-medium">{t.name}</td>
                  <td className="py-2 pr-4 font-mono text-xs">pep_{t.prefix}_…</td>
                  <td className="py-2 pr-4 font-mono text-xs" data-testid="token-scopes">
                    {t.scopes.join(" ")}
                  </td>
                  <td className="py-2 pr-4">{t.expiresAt ? <RelativeTime iso={t.expiresAt} /> : "Never"}</td>
                  <td className="py-2 pr-4">
                    <RelativeTime iso={t.createdAt} />
                  </td>
                  <td className="py-2 pr-4">{t.lastUsedAt ? <RelativeTime iso={t.lastUsedAt} /> : "Never"}</td>
                  <td className="py-2 text-right">
                    {t.revokedAt ? (
                      <span>Revoked</span>
                    ) : confirming === t.id ? (
                      <span className="inline-flex items-center gap-2">
                        <span className="text-xs text-gray-700">Revoke “{t.name}”? Apps using it stop working.</span>
                        <button type="button" className={buttonClass.dangerSolid} onClick={() => revoke.mutate(t.id)} disabled={revoke.isPending}>
                          Yes, revoke
                        </button>
                        <button type="button" className={buttonClass.ghost} onClick={() => setConfirming(null)}>
                          Keep
                        </button>
                      </span>
                    ) : (
                      <button type="button" className={buttonClass.danger} onClick={() => setConfirming(t.id)} aria-label={`Revoke token ${t.name}`}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {revoke.error ? <Notice tone="error">{(revoke.error as ApiClientError).message}</Notice> : null}
      </div>
    </Card>
  );
}
