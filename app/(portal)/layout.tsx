import { PortalHeader } from "@/components/portal-header";
import { getDeps } from "@/lib/config";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { PORTAL_PATH_HEADER } from "@/lib/http/security-headers";
import { currentSession, safeCallbackUrl } from "@/app/_lib/session";

export const dynamic = "force-dynamic";

/**
 * The signed-in portal: header, navigation and page frame. Every page here
 * needs a session, and a signed-out visitor is redirected here, in the
 * layout, before any of the page streams: redirecting from a page under a
 * `loading.tsx` boundary came after the 200 had been sent, as a meta refresh
 * (issue 12, finding 12). Pages still check the session themselves.
 */
export default async function PortalLayout({ children }: { children: React.ReactNode }) {
  const current = await currentSession();
  if (!current) {
    const path = (await headers()).get(PORTAL_PATH_HEADER) ?? undefined;
    redirect(`/signin?callbackUrl=${encodeURIComponent(safeCallbackUrl(path))}`);
  }
  // "Dev mail" shows where the mailer keeps what it sent (the local outbox); SES cannot list.
  const showDevMail = (await (await getDeps()).mailer.listSent(1).catch(() => null)) !== null;
  return (
    <div className="flex min-h-screen flex-col">
      <a href="#main" className="skip-link absolute left-2 top-2 z-50 rounded-md bg-white px-3 py-2 text-sm font-medium shadow">
        Skip to content
      </a>
      <PortalHeader
        user={{ email: current.user.email, name: current.user.name, role: current.user.role, supplierName: current.user.supplierName, membership: current.user.membership }}
        showDevMail={showDevMail}
      />
      <main id="main" className="mx-auto w-full max-w-6xl flex-1 px-4 py-6 sm:px-6 sm:py-8">
        {children}
      </main>
      <footer className="border-t border-gray-200 bg-white">
        <div className="mx-auto max-w-6xl px-4 py-4 text-xs text-gray-500 sm:px-6">
          Acme Flowers · Partner Export Portal. Downloads are kept for a limited time after they are ready.
        </div>
      </footer>
    </div>
  );
}
