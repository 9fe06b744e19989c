// GET /api/v1/exports/{id} – one export and its step history
import { json, withSupplier } from "@/lib/api/handler";
import { getExport } from "@/lib/exports/service";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = withSupplier<{ id: string }>(async ({ actor, deps, params }) => json(await getExport(deps, actor, params.id)));
