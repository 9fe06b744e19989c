// GET /api/v1/openapi.json – the OpenAPI 3.1 document of this API (public: it describes, it grants nothing)
import { publicRoute } from "@/lib/api/handler";
import { buildOpenApiDocument } from "@/lib/api/openapi";
import { getDeps } from "@/lib/config";

export const GET = publicRoute("GET /api/v1/openapi.json", async () =>
  Response.json(buildOpenApiDocument(`${(await getDeps()).config.settings.publicUrl}`), { headers: { "Cache-Control": "public, max-age=300" } }),
);
