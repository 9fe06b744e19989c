// GET /api/v1/webhooks/{id}/deliveries – the endpoint's latest deliveries: status, attempts, last response code, next retry
import { json, route } from "@/lib/api/handler";
import { listWebhookDeliveries } from "@/lib/webhooks/endpoints";

export const GET = route<{ id: string }>("GET /api/v1/webhooks/{id}/deliveries", async ({ actor, deps, params }) => json({ deliveries: await listWebhookDeliveries(deps, actor, params.id) }));
