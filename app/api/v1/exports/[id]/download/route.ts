// GET /api/v1/exports/{id}/download – 302 to a fresh short-lived signed URL of the archive
import { redirect, withSupplier } from "@/lib/api/handler";
import { getDownloadUrl } from "@/lib/exports/service";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = withSupplier<{ id: string }>(async ({ actor, deps, params }) => redirect(await getDownloadUrl(deps, actor, params.id)));
