// DELETE /api/v1/tokens/{id} – revoke an API token at once
import { json, withActor } from "@/lib/api/handler";
import { revokeApiToken } from "@/lib/tokens/api-tokens";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const DELETE = withActor<{ id: string }>(async ({ actor, deps, params }) => json({ token: await revokeApiToken(deps, actor, params.id) }));
