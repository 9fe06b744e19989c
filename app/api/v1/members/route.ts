// GET /api/v1/members – the supplier's members; POST /api/v1/members – owners: invite someone by email
import { json, readJson, withActor } from "@/lib/api/handler";
import { originOf } from "@/lib/audit/audit";
import { inviteMember, listMembers } from "@/lib/teams/members";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = withActor(async ({ actor, deps }) => json({ members: await listMembers(deps, actor) }));

export const POST = withActor(async ({ req, actor, deps }) => json(await inviteMember(deps, actor, await readJson(req), originOf(req.headers)), 201));
