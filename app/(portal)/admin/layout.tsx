import { forbidden } from "next/navigation";
import { currentSession } from "@/app/_lib/session";

/**
 * Admin pages check the role here, above any loading boundary, so that a
 * supplier gets a real HTTP 403 before the page starts streaming (a check
 * inside a streamed page can only change what is shown, not the status).
 */
export default async function AdminLayout({ children }: { children: React.ReactNode }) {
  // Signed out: the page itself redirects to sign-in with its own URL as the callback.
  const session = await currentSession();
  if (session && session.actor.role !== "admin") forbidden();
  return children;
}
