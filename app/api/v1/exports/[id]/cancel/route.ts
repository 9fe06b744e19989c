// POST /api/v1/exports/{id}/cancel – cancel a queued or running export
import { audit, json, withSupplier } from "@/lib/api/handler";
import { cancelExport } from "@/lib/exports/service";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = withSupplier<{ id: string }>(async (ctx) => {
  const cancelled = await cancelExport(ctx.deps, ctx.actor, ctx.params.id);
  await audit(ctx, "export.cancelled", `export:${cancelled.id}`);
  return json({ export: cancelled });
});
