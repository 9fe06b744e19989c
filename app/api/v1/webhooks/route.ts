// GET /api/v1/webhooks – the supplier's webhook endpoints; POST /api/v1/webhooks – register one (the signing secret is in this response only)
import { json, readJson, route } from "@/lib/api/handler";
import { createWebhookEndpoint, listWebhookEndpoints } from "@/lib/webhooks/endpoints";

export const GET = route("GET /api/v1/webhooks", async ({ actor, deps }) => json({ endpoints: await listWebhookEndpoints(deps, actor) }));

export const POST = route("POST /api/v1/webhooks", async ({ req, actor, deps }) => json(await createWebhookEndpoint(deps, actor, await readJson(req)), 201));
