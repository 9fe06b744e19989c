// POST /api/account/forgot-password – mail a reset link; the same answer whether or not the address has an account
import { json, readJson, withPublic } from "@/lib/api/handler";
import { originOf } from "@/lib/audit/audit";
import { requestPasswordReset } from "@/lib/teams/accounts";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = withPublic(async ({ req, deps }) => json(await requestPasswordReset(deps, await readJson(req), originOf(req.headers)), 202));
