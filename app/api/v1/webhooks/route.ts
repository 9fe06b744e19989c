// GET /api/v1/webhooks – the supplier's webhook endpoints; POST /api/v1/webhooks – register one (the signing secret is in this response only)
import { audit, json, readJson, withSupplier } from "@/lib/api/handler";
import { createWebhookEndpoint, listWebhookEndpoints } from "@/lib/webhooks/endpoints";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = withSupplier(async ({ actor, deps }) => json({ endpoints: await listWebhookEndpoints(deps, actor) }));

export const POST = withSupplier(async (ctx) => {
  const created = await createWebhookEndpoint(ctx.deps, ctx.actor, await readJson(ctx.req));
  await audit(ctx, "webhook.created", `webhook:${created.endpoint.id}`, created.endpoint.url);
  return json(created, 201);
});
