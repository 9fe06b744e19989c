// GET /api/v1/admin/stats – admins: counts by status, p50/p95 duration and exports per day
import { json, readQuery, route } from "@/lib/api/handler";
import { getExportStats } from "@/lib/exports/stats";

export const GET = route("GET /api/v1/admin/stats", async ({ req, actor, deps }) => json(await getExportStats(deps, actor, readQuery(req))));
