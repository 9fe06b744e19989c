"use client";

import { useState, type FormEvent } from "react";
import { Notice } from "./ui";

/**
 * A form's submit as the account forms handle it: the form's data goes to
 * `action`; `pending` while it runs; when it throws, its message (the API's
 * error message, from apiFetch) becomes `error` and the form can be sent
 * again. `pending` stays on after success: these forms then navigate away or
 * are replaced, and a second click must not send twice.
 */
export function useFormSubmit(action: (data: FormData) => Promise<void>): {
  onSubmit: (e: FormEvent<HTMLFormElement>) => Promise<void>;
  pending: boolean;
  error: string | null;
} {
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const onSubmit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    setPending(true);
    setError(null);
    try {
      await action(data);
    } catch (err) {
      setError((err as Error).message);
      setPending(false);
    }
  };
  return { onSubmit, pending, error };
}

/** The error of a `useFormSubmit` form, announced to screen readers; nothing when there is none. */
export function FormError({ error }: { error: string | null }) {
  return error ? (
    <Notice tone="error" role="alert">
      {error}
    </Notice>
  ) : null;
}
