// DELETE /api/v1/destinations/{id} – remove a destination no schedule uses
import { audit, route } from "@/lib/api/handler";
import { deleteDestination, withSchedules } from "@/lib/schedules/service";

export const DELETE = route<{ id: string }>("DELETE /api/v1/destinations/{id}", async (ctx) => {
  await deleteDestination(withSchedules(ctx.deps), ctx.actor, ctx.params.id);
  await audit(ctx, "destination.changed", `destination:${ctx.params.id}`, "deleted");
  return new Response(null, { status: 204, headers: { "Cache-Control": "no-store" } });
});
