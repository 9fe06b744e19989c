// PATCH /api/v1/admin/users/{id} – admins: disable a user (sessions and tokens end at once) or enable them again
import { json, readJson, withAdmin } from "@/lib/api/handler";
import { originOf } from "@/lib/audit/audit";
import { setUserDisabled } from "@/lib/teams/admin";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const PATCH = withAdmin<{ id: string }>(async ({ req, actor, deps, params }) =>
  json({ user: await setUserDisabled(deps, actor, params.id, await readJson(req), originOf(req.headers)) }),
);
