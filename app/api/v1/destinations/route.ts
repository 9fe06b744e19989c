// GET /api/v1/destinations – the supplier's S3 and SFTP destinations; POST /api/v1/destinations – add one (credentials sealed, never shown again)
import { json, readJson, route } from "@/lib/api/handler";
import { createDestination, listDestinations, withSchedules } from "@/lib/schedules/service";

export const GET = route("GET /api/v1/destinations", async ({ actor, deps }) => json({ destinations: await listDestinations(withSchedules(deps), actor) }));

export const POST = route("POST /api/v1/destinations", async ({ req, actor, deps }) =>
  json({ destination: await createDestination(withSchedules(deps), actor, await readJson(req)) }, 201),
);
