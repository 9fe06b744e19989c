// GET /api/v1/schedules – the supplier's schedules; POST /api/v1/schedules – schedule an export
import { json, readJson, route } from "@/lib/api/handler";
import { createSchedule, listSchedules, withSchedules } from "@/lib/schedules/service";

export const GET = route("GET /api/v1/schedules", async ({ actor, deps }) => json({ schedules: await listSchedules(withSchedules(deps), actor) }));

export const POST = route("POST /api/v1/schedules", async ({ req, actor, deps }) => json(await createSchedule(withSchedules(deps), actor, await readJson(req)), 201));
