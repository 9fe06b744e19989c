import type { Metadata } from "next";
import Link from "next/link";
import { ForgotPasswordForm } from "@/components/account-forms";
import { AccountShell } from "@/components/account-shell";

export const metadata: Metadata = { title: "Forgot password" };

export default function ForgotPasswordPage() {
  return (
    <AccountShell title="Forgot your password?" subtitle="We will email you a link to choose a new one.">
      <ForgotPasswordForm />
      <p className="mt-4 text-center text-sm">
        <Link href="/signin" className="font-medium text-brand-700 hover:underline">
          Back to sign in
        </Link>
      </p>
    </AccountShell>
  );
}
