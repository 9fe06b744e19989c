"use client";

import { useEffect, useState } from "react";
import { formatLocal, formatRelative, formatUtc } from "./format";

/**
 * "3 minutes ago", with the exact local time on hover. The first render
 * (server and hydration) prints a fixed UTC time so both sides agree; the
 * relative text appears once mounted and keeps itself up to date.
 */
export function RelativeTime({ iso, className }: { iso: string; className?: string }) {
  const [now, setNow] = useState<number | null>(null);
  useEffect(() => {
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), 15_000);
    return () => clearInterval(t);
  }, []);
  return (
    <time dateTime={iso} title={now === null ? formatUtc(iso) : formatLocal(iso)} className={className}>
      {now === null ? formatUtc(iso) : formatRelative(iso, now)}
    </time>
  );
}
