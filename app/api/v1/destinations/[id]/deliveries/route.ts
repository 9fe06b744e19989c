// GET /api/v1/destinations/{id}/deliveries – recent pushes to a destination and their attempt logs
import { json, route } from "@/lib/api/handler";
import { listDestinationDeliveries, withSchedules } from "@/lib/schedules/service";

export const GET = route<{ id: string }>("GET /api/v1/destinations/{id}/deliveries", async ({ actor, deps, params }) =>
  json({ deliveries: await listDestinationDeliveries(withSchedules(deps), actor, params.id) }),
);
