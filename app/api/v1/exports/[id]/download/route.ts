// GET /api/v1/exports/{id}/download – 302 to a fresh short-lived signed URL of the archive
import { redirect, route } from "@/lib/api/handler";
import { getDownloadUrl } from "@/lib/exports/service";

export const GET = route<{ id: string }>("GET /api/v1/exports/{id}/download", async ({ actor, deps, params }) => redirect(await getDownloadUrl(deps, actor, params.id)));
