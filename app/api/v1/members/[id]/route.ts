// PATCH /api/v1/members/{id} – owners: change a member's role; DELETE – remove them (sessions and tokens end at once)
import { json, readJson, route } from "@/lib/api/handler";
import { originOf } from "@/lib/audit/audit";
import { changeMemberRole, removeMember } from "@/lib/teams/members";

export const PATCH = route<{ id: string }>("PATCH /api/v1/members/{id}", async ({ req, actor, deps, params }) =>
  json({ member: await changeMemberRole(deps, actor, params.id, await readJson(req), originOf(req.headers)) }),
);

export const DELETE = route<{ id: string }>("DELETE /api/v1/members/{id}", async ({ req, actor, deps, params }) => {
  await removeMember(deps, actor, params.id, originOf(req.headers));
  return new Response(null, { status: 204, headers: { "Cache-Control": "no-store" } });
});
