// POST /api/account/accept-invitation – accept an invitation link: choose a name and password (single use)
import { json, readJson, withPublic } from "@/lib/api/handler";
import { originOf } from "@/lib/audit/audit";
import { acceptInvitation } from "@/lib/teams/members";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = withPublic(async ({ req, deps }) => json(await acceptInvitation(deps, await readJson(req), originOf(req.headers))));
