// POST /api/v1/exports/{id}/cancel – cancel a queued or running export
import { json, route } from "@/lib/api/handler";
import { cancelExport } from "@/lib/exports/service";

export const POST = route<{ id: string }>("POST /api/v1/exports/{id}/cancel", async ({ actor, deps, params }) => json({ export: await cancelExport(deps, actor, params.id) }));
