"use client";

import { apiFetch } from "../api-client";
import { buttonClass, Card, helpClass, inputClass, labelClass } from "../ui";
import { FormError, useFormSubmit } from "../use-form-submit";

/** Settings → Password: a change ends every session (this one too), and the API tokens you made unless kept. */
export function ChangePassword() {
  const { onSubmit, pending, error } = useFormSubmit(async (data) => {
    await apiFetch("/api/v1/account/password", {
      method: "POST",
      body: { currentPassword: String(data.get("current")), newPassword: String(data.get("new")), keepTokens: data.get("keepTokens") === "on" },
    });
    window.location.assign("/signin?changed=1");
  });
  return (
    <Card className="p-5">
      <h2 className="text-lg font-semibold text-gray-900">Password</h2>
      <p className="mt-1 text-sm text-gray-600">Changing it signs you out everywhere, this browser included.</p>
      <form className="mt-4 grid gap-3 sm:max-w-md" onSubmit={onSubmit}>
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
        <FormError error={error} />
        <div>
          <button type="submit" className={buttonClass.primary} disabled={pending}>
            {pending ? "Changing…" : "Change password"}
          </button>
        </div>
      </form>
    </Card>
  );
}
