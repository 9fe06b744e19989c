// GET, PATCH, DELETE /api/v1/schedules/{id} – read, edit or delete a schedule (its past runs stay in the history)
import { audit, json, readJson, route } from "@/lib/api/handler";
import { deleteSchedule, getSchedule, updateSchedule, withSchedules } from "@/lib/schedules/service";

export const GET = route<{ id: string }>("GET /api/v1/schedules/{id}", async ({ actor, deps, params }) => json(await getSchedule(withSchedules(deps), actor, params.id)));

export const PATCH = route<{ id: string }>("PATCH /api/v1/schedules/{id}", async (ctx) => {
  const updated = await updateSchedule(withSchedules(ctx.deps), ctx.actor, ctx.params.id, await readJson(ctx.req));
  await audit(ctx, "schedule.changed", `schedule:${ctx.params.id}`, "edited");
  return json(updated);
});

export const DELETE = route<{ id: string }>("DELETE /api/v1/schedules/{id}", async (ctx) => {
  await deleteSchedule(withSchedules(ctx.deps), ctx.actor, ctx.params.id);
  await audit(ctx, "schedule.changed", `schedule:${ctx.params.id}`, "deleted");
  return new Response(null, { status: 204, headers: { "Cache-Control": "no-store" } });
});
