// POST /api/v1/schedules/{id}/pause – pause a schedule (no next run until resumed)
import { json, route } from "@/lib/api/handler";
import { pauseSchedule, withSchedules } from "@/lib/schedules/service";

export const POST = route<{ id: string }>("POST /api/v1/schedules/{id}/pause", async ({ actor, deps, params }) => json(await pauseSchedule(withSchedules(deps), actor, params.id)));
