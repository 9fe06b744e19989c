// GET /api/v1/audit – the audit log: owners their supplier's, admins everything; filtered, paged, or all of it as CSV (?format=csv)
import { json, readQuery, route } from "@/lib/api/handler";
import { auditToCsv, collectAudit, listAudit } from "@/lib/audit/audit";

export const GET = route("GET /api/v1/audit", async ({ req, actor, deps }) => {
  const query = readQuery(req);
  if (query.format !== "csv") return json(await listAudit(deps, actor, query));
  const { format: _format, ...filters } = query;
  return new Response(auditToCsv(await collectAudit(deps, actor, filters)), {
    headers: { "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": 'attachment; filename="audit-log.csv"', "Cache-Control": "no-store" },
  });
});
