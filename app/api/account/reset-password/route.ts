// POST /api/account/reset-password – set a new password from a reset link (single use); sessions and tokens end
import { json, readJson, withPublic } from "@/lib/api/handler";
import { originOf } from "@/lib/audit/audit";
import { resetPassword } from "@/lib/teams/accounts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = withPublic(async ({ req, deps }) => json(await resetPassword(deps, await readJson(req), originOf(req.headers))));
