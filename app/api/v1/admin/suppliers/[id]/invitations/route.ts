// POST /api/v1/admin/suppliers/{id}/invitations – admins: invite someone (e.g. the first owner) into a supplier
import { json, readJson, withAdmin } from "@/lib/api/handler";
import { originOf } from "@/lib/audit/audit";
import { inviteMember } from "@/lib/teams/members";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = withAdmin<{ id: string }>(async ({ req, actor, deps, params }) =>
  json(await inviteMember(deps, actor, await readJson(req), originOf(req.headers), params.id), 201),
);
