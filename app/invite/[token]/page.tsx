import type { Metadata } from "next";
import Link from "next/link";
import { AcceptInvitationForm } from "@/components/account-forms";
import { AccountShell } from "@/components/account-shell";
import { Notice } from "@/components/ui";
import { getDeps } from "@/lib/config";
import { ApiError } from "@/lib/core/errors";
import { describeInvitation } from "@/lib/teams/members";

export const metadata: Metadata = { title: "Accept your invitation", referrer: "no-referrer" };
export const dynamic = "force-dynamic";

export default async function InvitationPage({ params }: { params: Promise<{ token: string }> }) {
  const token = decodeURIComponent((await params).token);
  let invitation: Awaited<ReturnType<typeof describeInvitation>> | null = null;
  let problem: string | null = null;
  try {
    invitation = await describeInvitation(await getDeps(), token);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    problem = err.message;
  }
  if (!invitation) {
    return (
      <AccountShell title="This invitation does not work">
        <Notice tone="error" role="alert">
          {problem}
        </Notice>
        <p className="mt-4 text-center text-sm">
          <Link href="/signin" className="font-medium text-brand-700 hover:underline">
            Go to sign in
          </Link>
        </p>
      </AccountShell>
    );
  }
  return (
    <AccountShell
      title={`Join ${invitation.supplierName}`}
      subtitle={
        <>
          as <strong>{invitation.membership}</strong>, signing in as <strong data-testid="invited-email">{invitation.email}</strong>
        </>
      }
    >
      <AcceptInvitationForm token={token} />
    </AccountShell>
  );
}
