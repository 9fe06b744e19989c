// GET /api/v1/exports/{id} – one export and its step history
import { json, route } from "@/lib/api/handler";
import { getExport } from "@/lib/exports/service";

export const GET = route<{ id: string }>("GET /api/v1/exports/{id}", async ({ actor, deps, params }) => json(await getExport(deps, actor, params.id)));
