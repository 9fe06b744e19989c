// GET /api/v1/webhooks/{id}/deliveries – the endpoint's latest deliveries: status, attempts, last response code, next retry
import { json, withSupplier } from "@/lib/api/handler";
import { listWebhookDeliveries } from "@/lib/webhooks/endpoints";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = withSupplier<{ id: string }>(async ({ actor, deps, params }) => json({ deliveries: await listWebhookDeliveries(deps, actor, params.id) }));
