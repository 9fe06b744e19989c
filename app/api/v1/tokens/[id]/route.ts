// DELETE /api/v1/tokens/{id} – revoke an API token at once
import { audit, json, route } from "@/lib/api/handler";
import { revokeApiToken } from "@/lib/tokens/api-tokens";

export const DELETE = route<{ id: string }>("DELETE /api/v1/tokens/{id}", async (ctx) => {
  const token = await revokeApiToken(ctx.deps, ctx.actor, ctx.params.id);
  await audit(ctx, "token.revoked", `token:${token.id}`, token.name);
  return json({ token });
});
