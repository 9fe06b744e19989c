"use client";

import { useEffect, useState } from "react";
import { apiFetch } from "./api-client";
import { buttonClass, helpClass, inputClass, labelClass, Notice } from "./ui";
import { FormError, useFormSubmit } from "./use-form-submit";

async function post<T>(url: string, body: unknown): Promise<T> {
  return apiFetch<T>(url, { method: "POST", body });
}

/** `data-hydrated` once React runs the form, so tests (and people on slow links) do not submit it as a plain HTML form. */
function useHydratedAttr(): { "data-hydrated"?: string } {
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  return hydrated ? { "data-hydrated": "" } : {};
}

/** "Forgot password?": always the same answer, whether or not the address has an account. */
export function ForgotPasswordForm() {
  const hydratedAttr = useHydratedAttr();
  const [done, setDone] = useState<string | null>(null);
  const { onSubmit, pending, error } = useFormSubmit(async (data) => {
    setDone((await post<{ message: string }>("/api/account/forgot-password", { email: String(data.get("email")) })).message);
  });
  if (done) {
    return (
      <Notice tone="success" role="status" title="Check your email">
        {done}
      </Notice>
    );
  }
  return (
    <form {...hydratedAttr} className="space-y-4" onSubmit={onSubmit}>
      <div>
        <label htmlFor="email" className={labelClass}>
          Email
        </label>
        <input id="email" name="email" type="email" autoComplete="username" required className={`${inputClass} mt-1`} />
      </div>
      <FormError error={error} />
      <button type="submit" className={`${buttonClass.primary} w-full`} disabled={pending}>
        {pending ? "Sending…" : "Send me a reset link"}
      </button>
    </form>
  );
}

function PasswordFields({ withName }: { withName?: boolean }) {
  return (
    <>
      {withName ? (
        <div>
          <label htmlFor="name" className={labelClass}>
            Your name
          </label>
          <input id="name" name="name" required maxLength={100} className={`${inputClass} mt-1`} />
        </div>
      ) : null}
      <div>
        <label htmlFor="password" className={labelClass}>
          New password
        </label>
        <input id="password" name="password" type="password" autoComplete="new-password" minLength={12} required className={`${inputClass} mt-1`} />
        <p className={helpClass}>At least 12 characters.</p>
      </div>
    </>
  );
}

/** The reset link's page: a new password; sessions end, and the API tokens too unless kept. */
export function ResetPasswordForm({ token }: { token: string }) {
  const hydratedAttr = useHydratedAttr();
  const { onSubmit, pending, error } = useFormSubmit(async (data) => {
    await post("/api/account/reset-password", { token, password: String(data.get("password")), keepTokens: data.get("keepTokens") === "on" });
    window.location.assign("/signin?reset=1");
  });
  return (
    <form {...hydratedAttr} className="space-y-4" onSubmit={onSubmit}>
      <PasswordFields />
      <label className="flex items-start gap-2 text-sm text-gray-700">
        <input type="checkbox" name="keepTokens" className="mt-1" />
        <span>Keep the API tokens I made working (otherwise they are revoked).</span>
      </label>
      <FormError error={error} />
      <button type="submit" className={`${buttonClass.primary} w-full`} disabled={pending}>
        {pending ? "Saving…" : "Set the new password"}
      </button>
    </form>
  );
}

/** The invitation link's page: name and password, then sign in. */
export function AcceptInvitationForm({ token }: { token: string }) {
  const hydratedAttr = useHydratedAttr();
  const { onSubmit, pending, error } = useFormSubmit(async (data) => {
    await post("/api/account/accept-invitation", { token, name: String(data.get("name")), password: String(data.get("password")) });
    window.location.assign("/signin?joined=1");
  });
  return (
    <form {...hydratedAttr} className="space-y-4" onSubmit={onSubmit}>
      <PasswordFields withName />
      <FormError error={error} />
      <button type="submit" className={`${buttonClass.primary} w-full`} disabled={pending}>
        {pending ? "Joining…" : "Join and choose this password"}
      </button>
    </form>
  );
}
