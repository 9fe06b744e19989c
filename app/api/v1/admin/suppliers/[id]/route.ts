// PATCH /api/v1/admin/suppliers/{id} – admins: rename, disable or enable a supplier
import { json, readJson, route } from "@/lib/api/handler";
import { originOf } from "@/lib/audit/audit";
import { updateSupplier } from "@/lib/teams/admin";

export const PATCH = route<{ id: string }>("PATCH /api/v1/admin/suppliers/{id}", async ({ req, actor, deps, params }) =>
  json({ supplier: await updateSupplier(deps, actor, params.id, await readJson(req), originOf(req.headers)) }),
);
