// DELETE /api/v1/webhooks/{id} – remove a webhook endpoint (pending deliveries to it stop)
import { audit, withSupplier } from "@/lib/api/handler";
import { deleteWebhookEndpoint } from "@/lib/webhooks/endpoints";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const DELETE = withSupplier<{ id: string }>(async (ctx) => {
  await deleteWebhookEndpoint(ctx.deps, ctx.actor, ctx.params.id);
  await audit(ctx, "webhook.deleted", `webhook:${ctx.params.id}`);
  return new Response(null, { status: 204, headers: { "Cache-Control": "no-store" } });
});
