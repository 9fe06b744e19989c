// GET /api/v1/schedules – the supplier's schedules; POST /api/v1/schedules – schedule an export
import { audit, json, readJson, route } from "@/lib/api/handler";
import { createSchedule, listSchedules, withSchedules } from "@/lib/schedules/service";

export const GET = route("GET /api/v1/schedules", async ({ actor, deps }) => json({ schedules: await listSchedules(withSchedules(deps), actor) }));

export const POST = route("POST /api/v1/schedules", async (ctx) => {
  const created = await createSchedule(withSchedules(ctx.deps), ctx.actor, await readJson(ctx.req));
  await audit(ctx, "schedule.changed", `schedule:${created.schedule.id}`, "created");
  return json(created, 201);
});
