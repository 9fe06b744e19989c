"use client";

import { useEffect, useState } from "react";
import { formatLocal, formatRelative, formatUtc } from "./format";

/**
 * "3 minutes ago · 1 Dec 2026, 21:05 CET": the relative time and, next to it,
 * the exact time in the viewer's time zone (a hover tooltip alone is out of
 * reach on touch screens). The first render (server and hydration) prints a
 * fixed UTC time so both sides agree; the local text appears once mounted and
 * keeps itself up to date. `absoluteOnly` drops the relative part (tables
 * where every row would read "7 minutes ago").
 */
export function RelativeTime({ iso, className, absoluteOnly = false }: { iso: string; className?: string; absoluteOnly?: boolean }) {
  const [now, setNow] = useState<number | null>(null);
  useEffect(() => {
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), 15_000);
    return () => clearInterval(t);
  }, []);
  if (now === null) {
    return (
      <time dateTime={iso} className={className}>
        {formatUtc(iso)}
      </time>
    );
  }
  return (
    <time dateTime={iso} className={className} title={formatLocal(iso)}>
      {absoluteOnly ? formatLocal(iso) : `${formatRelative(iso, now)} · ${formatLocal(iso)}`}
    </time>
  );
}
