// POST /api/v1/schedules/{id}/run – "Run now": the schedule is due at once and the scheduler's next tick starts it
import { json, route } from "@/lib/api/handler";
import { runScheduleNow, withSchedules } from "@/lib/schedules/service";

export const POST = route<{ id: string }>("POST /api/v1/schedules/{id}/run", async ({ actor, deps, params }) => json(await runScheduleNow(withSchedules(deps), actor, params.id), 202));
