// POST /api/v1/account/password – change your password: every session ends, and your API tokens unless keepTokens
import { json, readJson, withActor } from "@/lib/api/handler";
import { originOf } from "@/lib/audit/audit";
import { changePassword } from "@/lib/teams/accounts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = withActor(async ({ req, actor, deps }) => json(await changePassword(deps, actor, await readJson(req), originOf(req.headers))));
