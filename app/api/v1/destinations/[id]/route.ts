// DELETE /api/v1/destinations/{id} – remove a destination no schedule uses
import { route } from "@/lib/api/handler";
import { deleteDestination, withSchedules } from "@/lib/schedules/service";

export const DELETE = route<{ id: string }>("DELETE /api/v1/destinations/{id}", async ({ actor, deps, params }) => {
  await deleteDestination(withSchedules(deps), actor, params.id);
  return new Response(null, { status: 204, headers: { "Cache-Control": "no-store" } });
});
