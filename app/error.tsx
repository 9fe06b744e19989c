"use client";

import { useEffect } from "react";
import { buttonClass } from "@/components/ui";

/** Anything a page throws that it did not handle: a plain apology, the error's reference, and a retry. */
export default function ErrorPage({ error, retry }: { error: unknown; retry: () => void }) {
  useEffect(() => {
    console.error(error);
  }, [error]);
  const digest = error instanceof Error ? (error as Error & { digest?: string }).digest : undefined;
  return (
    <div className="mx-auto max-w-lg px-4 py-16 text-center" role="alert">
      <h1 className="text-2xl font-semibold tracking-tight text-gray-900">Something went wrong</h1>
      <p className="mt-2 text-sm text-gray-600">The page could not be shown. Please try again; if it keeps happening, tell us the reference below.</p>
      {digest ? <p className="mt-2 font-mono text-xs text-gray-500">Reference: {digest}</p> : null}
      <button type="button" onClick={() => retry()} className={`${buttonClass.primary} mt-6`}>
        Try again
      </button>
    </div>
  );
}
