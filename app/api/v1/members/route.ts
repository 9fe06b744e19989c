// GET /api/v1/members – the supplier's members; POST /api/v1/members – owners: invite someone by email
import { json, readJson, route } from "@/lib/api/handler";
import { originOf } from "@/lib/audit/audit";
import { inviteMember, listMembers } from "@/lib/teams/members";

export const GET = route("GET /api/v1/members", async ({ actor, deps }) => json({ members: await listMembers(deps, actor) }));

export const POST = route("POST /api/v1/members", async ({ req, actor, deps }) => json(await inviteMember(deps, actor, await readJson(req), originOf(req.headers)), 201));
