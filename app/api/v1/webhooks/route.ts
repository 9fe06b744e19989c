// GET /api/v1/webhooks – the supplier's webhook endpoints; POST /api/v1/webhooks – register one (the signing secret is in this response only)
import { audit, json, readJson, route } from "@/lib/api/handler";
import { createWebhookEndpoint, listWebhookEndpoints } from "@/lib/webhooks/endpoints";

export const GET = route("GET /api/v1/webhooks", async ({ actor, deps }) => json({ endpoints: await listWebhookEndpoints(deps, actor) }));

export const POST = route("POST /api/v1/webhooks", async (ctx) => {
  const created = await createWebhookEndpoint(ctx.deps, ctx.actor, await readJson(ctx.req));
  await audit(ctx, "webhook.created", `webhook:${created.endpoint.id}`, created.endpoint.url);
  return json(created, 201);
});
