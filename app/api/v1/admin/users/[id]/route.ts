// PATCH /api/v1/admin/users/{id} – admins: disable a user (sessions and tokens end at once) or enable them again
import { json, readJson, route } from "@/lib/api/handler";
import { originOf } from "@/lib/audit/audit";
import { setUserDisabled } from "@/lib/teams/admin";

export const PATCH = route<{ id: string }>("PATCH /api/v1/admin/users/{id}", async ({ req, actor, deps, params }) =>
  json({ user: await setUserDisabled(deps, actor, params.id, await readJson(req), originOf(req.headers)) }),
);
