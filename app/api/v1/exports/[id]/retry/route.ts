// POST /api/v1/exports/{id}/retry – admins: queue a failed export again
import { json, withAdmin } from "@/lib/api/handler";
import { retryExport } from "@/lib/exports/service";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = withAdmin<{ id: string }>(async ({ actor, deps, params }) => json({ export: await retryExport(deps, actor, params.id) }));
