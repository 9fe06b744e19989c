// GET /api/v1/datasets/{id}/options/{param} – the values a filter can take for the caller's supplier (e.g. its warehouses)
import { json, readQuery, route } from "@/lib/api/handler";
import { listParamOptions } from "@/lib/exports/param-options";

export const GET = route<{ id: string; param: string }>("GET /api/v1/datasets/{id}/options/{param}", async ({ req, actor, deps, params }) =>
  json(await listParamOptions(deps, actor, params.id, params.param, readQuery(req))),
);
