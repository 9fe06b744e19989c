// POST /api/v1/exports/{id}/cancel – cancel a queued or running export
import { json, withSupplier } from "@/lib/api/handler";
import { cancelExport } from "@/lib/exports/service";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = withSupplier<{ id: string }>(async ({ actor, deps, params }) => json({ export: await cancelExport(deps, actor, params.id) }));
