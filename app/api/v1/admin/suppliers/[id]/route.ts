// PATCH /api/v1/admin/suppliers/{id} – admins: rename, disable or enable a supplier
import { json, readJson, withAdmin } from "@/lib/api/handler";
import { originOf } from "@/lib/audit/audit";
import { updateSupplier } from "@/lib/teams/admin";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const PATCH = withAdmin<{ id: string }>(async ({ req, actor, deps, params }) =>
  json({ supplier: await updateSupplier(deps, actor, params.id, await readJson(req), originOf(req.headers)) }),
);
