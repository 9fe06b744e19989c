// POST /api/v1/account/password – change your password: every session ends, and your API tokens unless keepTokens
import { json, readJson, route } from "@/lib/api/handler";
import { originOf } from "@/lib/audit/audit";
import { changePassword } from "@/lib/teams/accounts";

export const POST = route("POST /api/v1/account/password", async ({ req, actor, deps }) => json(await changePassword(deps, actor, await readJson(req), originOf(req.headers))));
