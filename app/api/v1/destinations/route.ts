// GET /api/v1/destinations – the supplier's S3 and SFTP destinations; POST /api/v1/destinations – add one (credentials sealed, never shown again)
import { audit, json, readJson, route } from "@/lib/api/handler";
import { createDestination, listDestinations, withSchedules } from "@/lib/schedules/service";

export const GET = route("GET /api/v1/destinations", async ({ actor, deps }) => json({ destinations: await listDestinations(withSchedules(deps), actor) }));

export const POST = route("POST /api/v1/destinations", async (ctx) => {
  const destination = await createDestination(withSchedules(ctx.deps), ctx.actor, await readJson(ctx.req));
  await audit(ctx, "destination.changed", `destination:${destination.id}`, `created (${destination.config.kind})`);
  return json({ destination }, 201);
});
