// POST /api/v1/exports/preview – the row count, size estimate, columns and first rows an export with this body would have
import { json, readJson, route } from "@/lib/api/handler";
import { previewExport } from "@/lib/exports/preview";

export const POST = route("POST /api/v1/exports/preview", async ({ req, actor, deps }) => json(await previewExport(deps, actor, await readJson(req))));
