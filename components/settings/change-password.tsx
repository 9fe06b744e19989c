"use client";

import { useState } from "react";
import { apiFetch, ApiClientError } from "../api-client";
import { buttonClass, Card, helpClass, inputClass, labelClass, Notice } from "../ui";

/** Settings → Password: a change ends every session (this one too), and the API tokens you made unless kept. */
export function ChangePassword() {
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  return (
    <Card className="p-5">
      <h2 className="text-lg font-semibold text-gray-900">Password</h2>
      <p className="mt-1 text-sm text-gray-600">Changing it signs you out everywhere, this browser included.</p>
      <form
        className="mt-4 grid gap-3 sm:max-w-md"
        onSubmit={async (e) => {
          e.preventDefault();
          const data = new FormData(e.currentTarget);
          setPending(true);
          setError(null);
          try {
            await apiFetch("/api/v1/account/password", {
              method: "POST",
              body: { currentPassword: String(data.get("current")), newPassword: String(data.get("new")), keepTokens: data.get("keepTokens") === "on" },
            });
            window.location.assign("/signin?changed=1");
          } catch (err) {
            setError((err as ApiClientError).message);
            setPending(false);
          }
        }}
      >
        <div>
          <label htmlFor="current-password" className={labelClass}>
            Current password
          </label>
          <input id="current-password" name="current" type="password" autoComplete="current-password" required className={`${inputClass} mt-1`} />
        </div>
        <div>
          <label htmlFor="new-password" className={labelClass}>
            New password
          </label>
          <input id="new-password" name="new" type="password" autoComplete="new-password" minLength={12} required className={`${inputClass} mt-1`} />
          <p className={helpClass}>At least 12 characters.</p>
        </div>
        <label className="flex items-start gap-2 text-sm text-gray-700">
          <input type="checkbox" name="keepTokens" className="mt-1" />
          <span>Keep the API tokens I made working (otherwise they are revoked).</span>
        </label>
        {error ? (
          <Notice tone="error" role="alert">
            {error}
          </Notice>
        ) : null}
        <div>
          <button type="submit" className={buttonClass.primary} disabled={pending}>
            {pending ? "Changing…" : "Change password"}
          </button>
        </div>
      </form>
    </Card>
  );
}
