// POST /api/v1/exports – request an export; GET /api/v1/exports – the caller's export history
import { audit, json, readJson, readQuery, route } from "@/lib/api/handler";
import { listAllExports, listExports, submitExport } from "@/lib/exports/service";

// 202 for a new export; 200 for the export an earlier request made (same Idempotency-Key, or an identical one still active).
export const POST = route("POST /api/v1/exports", async (ctx) => {
  const { req, actor, deps } = ctx;
  const guards = { claims: deps.claims, limits: deps.config.api };
  const result = await submitExport(deps, guards, actor, await readJson(req), { idempotencyKey: req.headers.get("idempotency-key") });
  switch (result.outcome) {
    case "created":
      await audit(ctx, "export.requested", `export:${result.export.id}`, `${result.export.dataset} as ${result.export.format}`);
      return json({ export: result.export }, 202);
    case "replayed":
      return json({ export: result.export, replayed: true }, 200, { "Idempotent-Replayed": "true" });
    case "deduplicated":
      return json({ export: result.export, deduplicated: true }, 200, { "X-Export-Deduplicated": "true" });
  }
});

// A supplier sees its own history; an admin, who belongs to no supplier, gets every supplier's (as /admin/exports).
export const GET = route("GET /api/v1/exports", async ({ req, actor, deps }) =>
  json(actor.role === "admin" ? await listAllExports(deps, actor, readQuery(req)) : await listExports(deps, actor, readQuery(req))),
);
