// DELETE /api/v1/webhooks/{id} – remove a webhook endpoint (pending deliveries to it stop)
import { audit, route } from "@/lib/api/handler";
import { deleteWebhookEndpoint } from "@/lib/webhooks/endpoints";

export const DELETE = route<{ id: string }>("DELETE /api/v1/webhooks/{id}", async (ctx) => {
  await deleteWebhookEndpoint(ctx.deps, ctx.actor, ctx.params.id);
  await audit(ctx, "webhook.deleted", `webhook:${ctx.params.id}`);
  return new Response(null, { status: 204, headers: { "Cache-Control": "no-store" } });
});
