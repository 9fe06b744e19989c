"use client";

import { useState } from "react";

/** Copies `value` to the clipboard and says so (to screen readers too). */
export function CopyButton({ value, label }: { value: string; label: string }) {
  const [copied, setCopied] = useState<"yes" | "no" | null>(null);
  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setCopied("yes");
    } catch {
      setCopied("no");
    }
    setTimeout(() => setCopied(null), 2000);
  }
  return (
    <button
      type="button"
      onClick={copy}
      className="inline-flex shrink-0 items-center rounded border border-gray-300 bg-white px-2 py-0.5 text-xs font-medium text-gray-700 hover:bg-gray-50"
      aria-label={label}
    >
      <span aria-live="polite">{copied === "yes" ? "Copied" : copied === "no" ? "Select and copy" : "Copy"}</span>
    </button>
  );
}

/** A secret shown once (API token, webhook signing secret): the value in full, with a copy button. */
export function SecretValue({ value, label, testId }: { value: string; label: string; testId?: string }) {
  return (
    <div className="mt-2 flex items-center gap-2">
      <code className="block min-w-0 flex-1 break-all rounded bg-white px-2 py-1 font-mono text-xs text-gray-900" data-testid={testId}>
        {value}
      </code>
      <CopyButton value={value} label={label} />
    </div>
  );
}
