// POST /api/v1/exports – request an export; GET /api/v1/exports – the caller's export history
import { json, readJson, readQuery, withSupplier } from "@/lib/api/handler";
import { listAllExports, listExports, requestExport } from "@/lib/exports/service";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = withSupplier(async ({ req, actor, deps }) => json({ export: await requestExport(deps, actor, await readJson(req)) }, 202));

// A supplier sees its own history; an admin, who belongs to no supplier, gets every supplier's (as /admin/exports).
export const GET = withSupplier(async ({ req, actor, deps }) =>
  json(actor.role === "admin" ? await listAllExports(deps, actor, readQuery(req)) : await listExports(deps, actor, readQuery(req))),
);
