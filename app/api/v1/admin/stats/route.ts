// GET /api/v1/admin/stats – admins: counts by status, p50/p95 duration and exports per day
import { json, readQuery, withAdmin } from "@/lib/api/handler";
import { getExportStats } from "@/lib/exports/stats";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = withAdmin(async ({ req, actor, deps }) => json(await getExportStats(deps, actor, readQuery(req))));
