import { PortalHeader } from "@/components/portal-header";
import { getDeps } from "@/lib/config";
import { currentSession } from "@/app/_lib/session";

export const dynamic = "force-dynamic";

/**
 * The signed-in portal: header, navigation and page frame. Each page checks
 * the session itself (it knows its own path for the sign-in callback); a
 * signed-out visitor never sees this frame because the page redirects.
 */
export default async function PortalLayout({ children }: { children: React.ReactNode }) {
  const current = await currentSession();
  if (!current) return <>{children}</>;
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
