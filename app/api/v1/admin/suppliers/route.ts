// GET /api/v1/admin/suppliers – admins: every supplier; POST – create one (optionally inviting its first owner)
import { json, readJson, withAdmin } from "@/lib/api/handler";
import { originOf } from "@/lib/audit/audit";
import { createSupplier, listSuppliers } from "@/lib/teams/admin";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = withAdmin(async ({ actor, deps }) => json({ suppliers: await listSuppliers(deps, actor) }));

export const POST = withAdmin(async ({ req, actor, deps }) => json(await createSupplier(deps, actor, await readJson(req), originOf(req.headers)), 201));
