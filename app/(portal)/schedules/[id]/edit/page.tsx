import type { Metadata } from "next";
import { notFound, redirect } from "next/navigation";
import { ScheduleForm, type Cadence } from "@/components/schedules/schedule-form";
import { PageHeader } from "@/components/ui";
import { getDeps } from "@/lib/config";
import { ApiError } from "@/lib/core/errors";
import { getSchedule, withSchedules } from "@/lib/schedules/service";
import type { CreateExportInput } from "@/components/api-client";
import { datasetOptions } from "@/app/_lib/datasets";
import { requireActor } from "@/app/_lib/session";

export const metadata: Metadata = { title: "Edit schedule" };

export default async function EditSchedulePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const { actor } = await requireActor(`/schedules/${id}/edit`);
  if (actor.role === "admin") redirect("/admin/exports");
  let view;
  try {
    view = await getSchedule(withSchedules(await getDeps()), actor, id);
  } catch (err) {
    if (err instanceof ApiError && err.code === "not_found") notFound();
    throw err;
  }
  const s = view.schedule;
  return (
    <>
      <PageHeader title={`Edit “${s.name}”`} description="Changing the dataset starts an incremental schedule's cursor over." />
      <ScheduleForm
        datasets={datasetOptions()}
        initial={{
          id: s.id,
          name: s.name,
          request: JSON.parse(JSON.stringify(s.request)) as Partial<CreateExportInput>,
          cadence: s.cadence as Cadence,
          timezone: s.timezone,
          incremental: s.incremental,
          destinationIds: s.destinationIds,
        }}
      />
    </>
  );
}
