// DELETE /api/v1/webhooks/{id} – remove a webhook endpoint (pending deliveries to it stop)
import { route } from "@/lib/api/handler";
import { deleteWebhookEndpoint } from "@/lib/webhooks/endpoints";

export const DELETE = route<{ id: string }>("DELETE /api/v1/webhooks/{id}", async ({ actor, deps, params }) => {
  await deleteWebhookEndpoint(deps, actor, params.id);
  return new Response(null, { status: 204, headers: { "Cache-Control": "no-store" } });
});
