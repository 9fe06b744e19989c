import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { MailList } from "@/components/mail-list";
import { buttonClass, EmptyState, Notice, PageHeader } from "@/components/ui";
import { getDeps } from "@/lib/config";
import { requireActor } from "@/app/_lib/session";
import { listOutboxFor } from "@/lib/mail/dev-outbox";

export const metadata: Metadata = { title: "Dev mail" };

/** Local mode's outbox: what the portal would have emailed. Not there at all in AWS mode. */
export default async function DevMailPage() {
  const deps = await getDeps();
  if (deps.config.env.EXPORT_BACKEND !== "local") notFound();
  const { actor } = await requireActor("/dev/mail");
  const mails = await listOutboxFor(deps.mailer, actor, 100);

  return (
    <>
      <PageHeader
        title="Dev mail"
        description={`Emails sent in local mode land in an outbox folder instead of an inbox. The newest 100${actor.role === "admin" ? "" : " sent to you"} are shown here.`}
        actions={
          <Link href="/dev/mail" className={buttonClass.secondary}>
            Refresh
          </Link>
        }
      />
      {mails === null ? (
        <Notice tone="warning" title="This mailer cannot list what it sent">
          The configured mailer delivers messages without keeping a copy, so there is nothing to show here.
        </Notice>
      ) : mails.length === 0 ? (
        <EmptyState title="No emails yet">Emails appear here when an export with “Email me when it’s ready” finishes.</EmptyState>
      ) : (
        <MailList mails={mails} />
      )}
    </>
  );
}
