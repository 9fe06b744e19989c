// GET /api/v1/admin/exports – admins: every supplier's exports, filtered and paged
import { json, readQuery, route } from "@/lib/api/handler";
import { listAllExports } from "@/lib/exports/service";

export const GET = route("GET /api/v1/admin/exports", async ({ req, actor, deps }) => json(await listAllExports(deps, actor, readQuery(req))));
