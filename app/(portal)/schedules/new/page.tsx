import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { ScheduleForm } from "@/components/schedules/schedule-form";
import { PageHeader } from "@/components/ui";
import { datasetOptions } from "@/app/_lib/datasets";
import { requireActor } from "@/app/_lib/session";

export const metadata: Metadata = { title: "New schedule" };

export default async function NewSchedulePage() {
  const { actor } = await requireActor("/schedules/new");
  if (actor.role === "admin") redirect("/admin/exports");
  return (
    <>
      <PageHeader title="New schedule" description="The same choices as an export, plus when it runs and where it goes." />
      <ScheduleForm datasets={datasetOptions()} />
    </>
  );
}
