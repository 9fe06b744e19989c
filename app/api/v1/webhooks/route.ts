// GET /api/v1/webhooks – the supplier's webhook endpoints; POST /api/v1/webhooks – register one (the signing secret is in this response only)
import { json, readJson, withSupplier } from "@/lib/api/handler";
import { createWebhookEndpoint, listWebhookEndpoints } from "@/lib/webhooks/endpoints";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = withSupplier(async ({ actor, deps }) => json({ endpoints: await listWebhookEndpoints(deps, actor) }));

export const POST = withSupplier(async ({ req, actor, deps }) => json(await createWebhookEndpoint(deps, actor, await readJson(req)), 201));
