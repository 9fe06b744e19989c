// GET /api/v1/tokens – the supplier's API tokens; POST /api/v1/tokens – create one (the secret is in this response only)
import { audit, json, readJson, withActor } from "@/lib/api/handler";
import { createApiToken, listApiTokens } from "@/lib/tokens/api-tokens";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

// Session only (withActor): a token must not be able to mint more tokens.
export const GET = withActor(async ({ actor, deps }) => json({ tokens: await listApiTokens(deps, actor) }));

export const POST = withActor(async (ctx) => {
  const created = await createApiToken(ctx.deps, ctx.actor, await readJson(ctx.req));
  await audit(ctx, "token.created", `token:${created.token.id}`, `${created.token.name}: ${created.token.scopes.join(" ")}${created.token.expiresAt ? `, expires ${created.token.expiresAt}` : ""}`);
  return json(created, 201);
});
