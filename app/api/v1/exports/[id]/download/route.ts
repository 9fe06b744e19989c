// GET /api/v1/exports/{id}/download – 302 to a fresh short-lived signed URL of the archive
import { audit, redirect, route } from "@/lib/api/handler";
import { getDownloadUrl } from "@/lib/exports/service";

export const GET = route<{ id: string }>("GET /api/v1/exports/{id}/download", async (ctx) => {
  const url = await getDownloadUrl(ctx.deps, ctx.actor, ctx.params.id);
  await audit(ctx, "export.downloaded", `export:${ctx.params.id}`);
  return redirect(url);
});
