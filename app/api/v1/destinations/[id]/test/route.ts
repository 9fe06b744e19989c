// POST /api/v1/destinations/{id}/test – "Test connection": write a small file and delete it
import { json, route } from "@/lib/api/handler";
import { testDestination, withSchedules } from "@/lib/schedules/service";

export const POST = route<{ id: string }>("POST /api/v1/destinations/{id}/test", async ({ actor, deps, params }) => json(await testDestination(withSchedules(deps), actor, params.id)));
