import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { SignInForm, type DemoAccount } from "@/components/sign-in-form";
import { getDeps } from "@/lib/config";
import { SSO_ERRORS, type SsoRefusal } from "@/lib/teams/sso";
import { DEMO_PASSWORD, DEMO_USERS } from "@/lib/users/demo-users";
import type { SearchParams } from "@/app/_lib/query";
import { currentSession, safeCallbackUrl } from "@/app/_lib/session";

export const metadata: Metadata = { title: "Sign in" };
export const dynamic = "force-dynamic";

/** next-auth's own error codes (when it redirects here itself) in words. */
function errorText(code: string | undefined): string | null {
  if (!code) return null;
  if (code === "CredentialsSignin") return "Wrong email or password.";
  if (code === "SessionRequired") return "Please sign in to continue.";
  if (Object.hasOwn(SSO_ERRORS, code)) return SSO_ERRORS[code as SsoRefusal];
  // Our own account-check messages (disabled user or supplier), thrown from the Credentials check.
  if (/^This account has been disabled\. |^[^<>]{1,100} has been disabled on this portal\. Contact Acme Flowers to enable it\.$/.test(code)) return code.slice(0, 200);
  // Only our own throttle message is shown verbatim: echoing any text from the URL would let a
  // crafted link put someone else's words on our sign-in page.
  return /^Too many failed sign-in attempts\. Try again in \d+ (second|minute)s?\.$/.test(code) ? code : "Signing in did not work. Please try again.";
}

export default async function SignInPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const sp = await searchParams;
  const callbackUrl = safeCallbackUrl(sp.callbackUrl);
  if (await currentSession()) redirect(callbackUrl);
  const local = (await getDeps()).config.env.EXPORT_BACKEND === "local";
  const demoAccounts: DemoAccount[] | null = local
    ? DEMO_USERS.map((u) => ({ email: u.email, role: u.role, supplierName: u.supplierName, password: DEMO_PASSWORD }))
    : null;
  const initialError = errorText(typeof sp.error === "string" ? sp.error : undefined);
  // Where the account pages send people back to; fixed texts only, nothing from the URL is echoed.
  const notice = sp.joined ? "Welcome aboard: sign in with your new password." : sp.reset || sp.changed ? "Password changed: every session ended. Sign in with the new one." : null;

  return (
    <main className="flex min-h-screen items-center justify-center px-4 py-10">
      <div className="w-full max-w-sm">
        <div className="mb-6 text-center">
          <span aria-hidden="true" className="mx-auto grid size-12 place-items-center rounded-xl bg-brand-700 text-2xl text-white shadow-sm">
            ✿
          </span>
          <h1 className="mt-4 text-2xl font-semibold tracking-tight text-gray-900">Partner Export Portal</h1>
          <p className="mt-1 text-sm text-gray-600">Sign in to export your Acme Flowers data.</p>
        </div>
        {notice ? (
          <p role="status" className="mb-4 rounded-md border border-green-200 bg-green-50 px-3 py-2 text-sm text-green-800">
            {notice}
          </p>
        ) : null}
        <div className="rounded-lg border border-gray-200 bg-white p-6 shadow-sm">
          <SignInForm callbackUrl={callbackUrl} demoAccounts={demoAccounts} initialError={initialError} ssoName={(await getDeps()).config.sso?.name ?? null} />
        </div>
      </div>
    </main>
  );
}
