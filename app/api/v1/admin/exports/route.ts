// GET /api/v1/admin/exports – admins: every supplier's exports, filtered and paged
import { json, readQuery, withAdmin } from "@/lib/api/handler";
import { listAllExports } from "@/lib/exports/service";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = withAdmin(async ({ req, actor, deps }) => json(await listAllExports(deps, actor, readQuery(req))));
