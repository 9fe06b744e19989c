// GET /api/v1/admin/users – admins: every user, with supplier, role and status
import { json, withAdmin } from "@/lib/api/handler";
import { listAllUsers } from "@/lib/teams/admin";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = withAdmin(async ({ actor, deps }) => json({ users: await listAllUsers(deps, actor) }));
