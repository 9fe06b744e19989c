// POST /api/v1/schedules/{id}/resume – resume a schedule from its next slot
import { json, route } from "@/lib/api/handler";
import { resumeSchedule, withSchedules } from "@/lib/schedules/service";

export const POST = route<{ id: string }>("POST /api/v1/schedules/{id}/resume", async ({ actor, deps, params }) => json(await resumeSchedule(withSchedules(deps), actor, params.id)));
