// POST /api/v1/exports/{id}/retry – admins: queue a failed export again
import { json, route } from "@/lib/api/handler";
import { retryExport } from "@/lib/exports/service";

export const POST = route<{ id: string }>("POST /api/v1/exports/{id}/retry", async ({ actor, deps, params }) => json({ export: await retryExport(deps, actor, params.id) }));
