// GET /api/v1/admin/schedules – admins: every supplier's schedules (or one supplier's), with next and last run
import { json, readQuery, route } from "@/lib/api/handler";
import { ZAdminSchedulesQuery } from "@/lib/api/schedule-routes";
import { ApiError } from "@/lib/core/errors";
import { zodDetails } from "@/lib/core/validation";
import { listSchedulesOfSuppliers, withSchedules } from "@/lib/schedules/service";
import { listSuppliers } from "@/lib/teams/admin";

export const GET = route("GET /api/v1/admin/schedules", async ({ req, actor, deps }) => {
  const query = ZAdminSchedulesQuery.safeParse(readQuery(req));
  if (!query.success) throw new ApiError("validation_failed", "The filters are not valid.", zodDetails(query.error));
  const { supplierId } = query.data;
  const suppliers = supplierId ? [supplierId] : (await listSuppliers(deps, actor)).map((s) => s.id);
  return json({ schedules: await listSchedulesOfSuppliers(withSchedules(deps), actor, suppliers) });
});
