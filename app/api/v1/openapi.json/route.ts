// GET /api/v1/openapi.json – the OpenAPI 3.1 document of this API (public: it describes, it grants nothing)
import { getDeps } from "@/lib/config";
import { buildOpenApiDocument } from "@/lib/api/openapi";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(): Promise<Response> {
  return Response.json(buildOpenApiDocument(`${(await getDeps()).config.settings.publicUrl}`), { headers: { "Cache-Control": "public, max-age=300" } });
}
