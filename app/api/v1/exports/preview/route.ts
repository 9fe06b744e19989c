// POST /api/v1/exports/preview – the row count, size estimate, columns and first rows an export with this body would have
import { json, readJson, withSupplier } from "@/lib/api/handler";
import { previewExport } from "@/lib/exports/preview";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = withSupplier(async ({ req, actor, deps }) => json(await previewExport(deps, actor, await readJson(req))));
