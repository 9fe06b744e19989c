/**
 * Who is signed in, for server components. Pages call `requireActor` with
 * their own path so a signed-out visitor comes back to it after signing in.
 */
import { getServerSession, type Session } from "next-auth";
import { redirect } from "next/navigation";
import { cache } from "react";
import { getAuthOptions, sessionToActor } from "@/lib/auth";
import type { Actor } from "@/lib/core/actor";

/** One session read per request, shared by the layout and the page. */
export const currentSession = cache(async (): Promise<{ actor: Actor; user: Session["user"] } | null> => {
  const session = await getServerSession(await getAuthOptions());
  const actor = sessionToActor(session);
  return actor && session ? { actor, user: session.user } : null;
});

/** The signed-in caller, or a redirect to /signin?callbackUrl=<path>. */
export async function requireActor(path: string): Promise<{ actor: Actor; user: Session["user"] }> {
  const current = await currentSession();
  if (!current) redirect(`/signin?callbackUrl=${encodeURIComponent(path)}`);
  return current;
}

/** `path` with the query string the page was opened with, for a callbackUrl. */
export function pathWithQuery(path: string, searchParams: Record<string, string | string[] | undefined>): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(searchParams)) {
    if (typeof v === "string") qs.set(k, v);
    else if (Array.isArray(v)) for (const x of v) qs.append(k, x);
  }
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

export { safeCallbackUrl } from "./callback-url";
