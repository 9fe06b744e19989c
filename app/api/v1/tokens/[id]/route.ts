// DELETE /api/v1/tokens/{id} – revoke an API token at once
import { json, route } from "@/lib/api/handler";
import { revokeApiToken } from "@/lib/tokens/api-tokens";

export const DELETE = route<{ id: string }>("DELETE /api/v1/tokens/{id}", async ({ actor, deps, params }) => json({ token: await revokeApiToken(deps, actor, params.id) }));
