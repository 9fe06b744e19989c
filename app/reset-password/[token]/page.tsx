import type { Metadata } from "next";
import { ResetPasswordForm } from "@/components/account-forms";
import { AccountShell } from "@/components/account-shell";

export const metadata: Metadata = { title: "Choose a new password", referrer: "no-referrer" };

/** The token is checked when the form is sent (single use, expiry), so an old link says why it no longer works. */
export default async function ResetPasswordPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  return (
    <AccountShell title="Choose a new password" subtitle="Every session of yours ends when you do.">
      <ResetPasswordForm token={decodeURIComponent(token)} />
    </AccountShell>
  );
}
