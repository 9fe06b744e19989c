// POST /api/v1/schedules/{id}/resume – resume a schedule from its next slot
import { audit, json, route } from "@/lib/api/handler";
import { resumeSchedule, withSchedules } from "@/lib/schedules/service";

export const POST = route<{ id: string }>("POST /api/v1/schedules/{id}/resume", async (ctx) => {
  const result = await resumeSchedule(withSchedules(ctx.deps), ctx.actor, ctx.params.id);
  await audit(ctx, "schedule.changed", `schedule:${ctx.params.id}`, "resumed");
  return json(result);
});
