// GET /api/v1/admin/suppliers – admins: every supplier; POST – create one (optionally inviting its first owner)
import { json, readJson, route } from "@/lib/api/handler";
import { originOf } from "@/lib/audit/audit";
import { createSupplier, listSuppliers } from "@/lib/teams/admin";

export const GET = route("GET /api/v1/admin/suppliers", async ({ actor, deps }) => json({ suppliers: await listSuppliers(deps, actor) }));

export const POST = route("POST /api/v1/admin/suppliers", async ({ req, actor, deps }) => json(await createSupplier(deps, actor, await readJson(req), originOf(req.headers)), 201));
