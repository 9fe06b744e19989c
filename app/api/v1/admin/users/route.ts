// GET /api/v1/admin/users – admins: every user, with supplier, role and status
import { json, route } from "@/lib/api/handler";
import { listAllUsers } from "@/lib/teams/admin";

export const GET = route("GET /api/v1/admin/users", async ({ actor, deps }) => json({ users: await listAllUsers(deps, actor) }));
