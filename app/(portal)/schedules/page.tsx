import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { ScheduleList } from "@/components/schedules/schedule-list";
import { buttonClass, PageHeader } from "@/components/ui";
import { requireActor } from "@/app/_lib/session";

export const metadata: Metadata = { title: "Schedules" };

/** A supplier's schedules: next run, last run and its status, the incremental cursor. */
export default async function SchedulesPage() {
  const { actor } = await requireActor("/schedules");
  if (actor.role === "admin") redirect("/admin/exports"); // schedules belong to a supplier
  return (
    <>
      <PageHeader
        title="Schedules"
        description="Exports that run by themselves, optionally only with what changed since the last run, delivered to your S3 bucket or SFTP server."
        actions={
          <Link href="/schedules/new" className={buttonClass.primary}>
            New schedule
          </Link>
        }
      />
      <ScheduleList />
    </>
  );
}
