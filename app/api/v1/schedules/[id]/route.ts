// GET, PATCH, DELETE /api/v1/schedules/{id} – read, edit or delete a schedule (its past runs stay in the history)
import { json, readJson, route } from "@/lib/api/handler";
import { deleteSchedule, getSchedule, updateSchedule, withSchedules } from "@/lib/schedules/service";

export const GET = route<{ id: string }>("GET /api/v1/schedules/{id}", async ({ actor, deps, params }) => json(await getSchedule(withSchedules(deps), actor, params.id)));

export const PATCH = route<{ id: string }>("PATCH /api/v1/schedules/{id}", async ({ req, actor, deps, params }) =>
  json(await updateSchedule(withSchedules(deps), actor, params.id, await readJson(req))),
);

export const DELETE = route<{ id: string }>("DELETE /api/v1/schedules/{id}", async ({ actor, deps, params }) => {
  await deleteSchedule(withSchedules(deps), actor, params.id);
  return new Response(null, { status: 204, headers: { "Cache-Control": "no-store" } });
});
