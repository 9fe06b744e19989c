// POST /api/v1/schedules/{id}/pause – pause a schedule (no next run until resumed)
import { audit, json, route } from "@/lib/api/handler";
import { pauseSchedule, withSchedules } from "@/lib/schedules/service";

export const POST = route<{ id: string }>("POST /api/v1/schedules/{id}/pause", async (ctx) => {
  const result = await pauseSchedule(withSchedules(ctx.deps), ctx.actor, ctx.params.id);
  await audit(ctx, "schedule.changed", `schedule:${ctx.params.id}`, "paused");
  return json(result);
});
