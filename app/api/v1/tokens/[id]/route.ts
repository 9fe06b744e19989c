// DELETE /api/v1/tokens/{id} – revoke an API token at once
import { audit, json, withActor } from "@/lib/api/handler";
import { revokeApiToken } from "@/lib/tokens/api-tokens";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const DELETE = withActor<{ id: string }>(async (ctx) => {
  const token = await revokeApiToken(ctx.deps, ctx.actor, ctx.params.id);
  await audit(ctx, "token.revoked", `token:${token.id}`, token.name);
  return json({ token });
});
