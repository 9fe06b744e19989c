// GET /api/v1/tokens – the supplier's API tokens; POST /api/v1/tokens – create one (the secret is in this response only)
import { audit, json, readJson, route } from "@/lib/api/handler";
import { createApiToken, listApiTokens } from "@/lib/tokens/api-tokens";

// Session only (tokens: false in lib/api/routes.ts): a token must not be able to mint more tokens.
export const GET = route("GET /api/v1/tokens", async ({ actor, deps }) => json({ tokens: await listApiTokens(deps, actor) }));

export const POST = route("POST /api/v1/tokens", async (ctx) => {
  const created = await createApiToken(ctx.deps, ctx.actor, await readJson(ctx.req));
  const { token } = created;
  await audit(ctx, "token.created", `token:${token.id}`, `${token.name}: ${token.scopes.join(" ")}${token.expiresAt ? `, expires ${token.expiresAt}` : ""}`);
  return json(created, 201);
});
