"use client";

import { signIn } from "next-auth/react";
import { useEffect, useRef, useState } from "react";
import { buttonClass, inputClass, labelClass } from "./ui";

export interface DemoAccount {
  email: string;
  role: string;
  supplierName: string | null;
  password: string;
}

/** Email + password sign-in; in local mode, a list of demo accounts that fill the form. */
export function SignInForm({
  callbackUrl,
  demoAccounts,
  initialError = null,
  ssoName = null,
}: {
  callbackUrl: string;
  demoAccounts: DemoAccount[] | null;
  /** An error next-auth reported through the URL (`?error=`), already in words. */
  initialError?: string | null;
  /** The deployment's SSO ("Sign in with <name>"); null when there is none. */
  ssoName?: string | null;
}) {
  // Uncontrolled inputs: whatever was typed before the page finished loading is kept and sent.
  const emailRef = useRef<HTMLInputElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  const [error, setError] = useState<string | null>(initialError);
  const [pending, setPending] = useState(false);
  const [hydrated, setHydrated] = useState(false);
  const submitRef = useRef<HTMLButtonElement>(null);
  useEffect(() => setHydrated(true), []);

  async function onSubmit(e: React.FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    const email = String(data.get("email") ?? "");
    const password = String(data.get("password") ?? "");
    setPending(true);
    setError(null);
    try {
      const res = await signIn("credentials", { email, password, redirect: false });
      if (!res || res.error) {
        // next-auth reports a refused password as "CredentialsSignin"; anything else is a message for people (e.g. too many attempts).
        setError(!res || res.error === "CredentialsSignin" ? "Wrong email or password." : res.error);
        setPending(false);
        return;
      }
      // A full load, so the server renders the next page with the new session cookie.
      window.location.assign(callbackUrl);
    } catch {
      setError("The portal could not be reached. Check your connection and try again.");
      setPending(false);
    }
  }

  function fillDemo(account: DemoAccount) {
    if (emailRef.current) emailRef.current.value = account.email;
    if (passwordRef.current) passwordRef.current.value = account.password;
    setError(null);
    submitRef.current?.focus();
  }

  return (
    <div className="space-y-6">
      <form onSubmit={onSubmit} className="space-y-4" method="post" data-hydrated={hydrated ? "" : undefined}>
        {error ? (
          <div role="alert" data-testid="signin-error" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
            {error}
          </div>
        ) : null}
        <div>
          <label htmlFor="email" className={labelClass}>
            Email
          </label>
          <input
            id="email"
            name="email"
            type="email"
            autoComplete="username"
            required
            ref={emailRef}
            className={`${inputClass} mt-1`}
          />
        </div>
        <div>
          <label htmlFor="password" className={labelClass}>
            Password
          </label>
          <input
            id="password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            ref={passwordRef}
            className={`${inputClass} mt-1`}
          />
        </div>
        <button ref={submitRef} type="submit" disabled={pending} className={`${buttonClass.primary} w-full`}>
          {pending ? "Signing in…" : "Sign in"}
        </button>
        <p className="text-center text-sm">
          <a href="/forgot-password" className="font-medium text-brand-700 hover:underline">
            Forgot password?
          </a>
        </p>
        {ssoName ? (
          <button type="button" className={`${buttonClass.secondary} w-full`} onClick={() => void signIn("oidc", { callbackUrl })}>
            Sign in with {ssoName}
          </button>
        ) : null}
      </form>

      {demoAccounts && demoAccounts.length > 0 ? (
        <section aria-labelledby="demo-accounts" className="border-t border-gray-200 pt-5">
          <h2 id="demo-accounts" className="text-sm font-semibold text-gray-900">
            Demo accounts
          </h2>
          <p className="mt-1 text-xs text-gray-500">Local mode only. Choose one to fill in the form.</p>
          <ul className="mt-3 space-y-2">
            {demoAccounts.map((a) => (
              <li key={a.email}>
                <button
                  type="button"
                  onClick={() => fillDemo(a)}
                  className="flex w-full items-center justify-between gap-3 rounded-md border border-gray-200 bg-gray-50 px-3 py-2 text-left text-sm hover:border-brand-600 hover:bg-brand-50"
                  aria-label={`Use demo account ${a.email} (${a.role}${a.supplierName ? `, ${a.supplierName}` : ""})`}
                >
                  <span className="min-w-0">
                    <span className="block truncate font-medium text-gray-900">{a.email}</span>
                    <span className="block truncate text-xs text-gray-500">{a.supplierName ?? "All suppliers"}</span>
                  </span>
                  <span
                    className={`shrink-0 rounded-full px-2 py-0.5 text-xs font-medium ${
                      a.role === "admin" ? "bg-gray-900 text-white" : "bg-brand-100 text-brand-800"
                    }`}
                  >
                    {a.role}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </div>
  );
}
