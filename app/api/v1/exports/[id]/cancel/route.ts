// POST /api/v1/exports/{id}/cancel – cancel a queued or running export
import { audit, json, route } from "@/lib/api/handler";
import { cancelExport } from "@/lib/exports/service";

export const POST = route<{ id: string }>("POST /api/v1/exports/{id}/cancel", async (ctx) => {
  const cancelled = await cancelExport(ctx.deps, ctx.actor, ctx.params.id);
  await audit(ctx, "export.cancelled", `export:${cancelled.id}`);
  return json({ export: cancelled });
});
