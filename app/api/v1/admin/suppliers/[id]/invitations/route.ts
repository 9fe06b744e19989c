// POST /api/v1/admin/suppliers/{id}/invitations – admins: invite someone (e.g. the first owner) into a supplier
import { json, readJson, route } from "@/lib/api/handler";
import { originOf } from "@/lib/audit/audit";
import { inviteMember } from "@/lib/teams/members";

export const POST = route<{ id: string }>("POST /api/v1/admin/suppliers/{id}/invitations", async ({ req, actor, deps, params }) =>
  json(await inviteMember(deps, actor, await readJson(req), originOf(req.headers), params.id), 201),
);
