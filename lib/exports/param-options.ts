/**
 * The values a filter can take for the caller's supplier (the form's select
 * of "your warehouses"), read from the warehouse with the supplier scope the
 * export would have. Admins may name a supplier (`?supplierId=`), or get
 * every supplier's values.
 */
import { z } from "zod";
import { getDataset } from "../datasets/catalog";
import type { SupplierScope } from "../datasets/types";
import type { Actor } from "../core/actor";
import { ApiError } from "../core/errors";
import type { ExportDeps } from "./deps";

/** More values than this is not a list a person picks from. */
const MAX_OPTIONS = 500;

export const ZParamOptionsQuery = z.object({ supplierId: z.string().regex(/^[a-z0-9_]{1,40}$/).optional().describe("Admins only: whose values.") }).strict();

export async function listParamOptions(deps: ExportDeps, actor: Actor, datasetId: string, param: string, query: unknown): Promise<{ param: string; values: string[]; truncated: boolean }> {
  const dataset = getDataset(datasetId);
  if (!dataset) throw new ApiError("not_found", `There is no dataset "${datasetId}".`);
  const build = dataset.paramOptions && Object.hasOwn(dataset.paramOptions, param) ? dataset.paramOptions[param] : undefined;
  if (!build) throw new ApiError("not_found", `The ${dataset.title} filter "${param}" has no list of values.`);
  const q = ZParamOptionsQuery.safeParse(query);
  if (!q.success) throw new ApiError("validation_failed", "Only supplierId may be given (admins only).");
  let scope: SupplierScope;
  if (actor.role === "admin") scope = q.data.supplierId ? { kind: "supplier", supplierId: q.data.supplierId } : { kind: "all" };
  else {
    if (q.data.supplierId !== undefined && q.data.supplierId !== actor.supplierId) throw new ApiError("forbidden", "You can only list your own supplier's values.");
    if (!actor.supplierId) throw new ApiError("forbidden", "Your account is not linked to a supplier.");
    scope = { kind: "supplier", supplierId: actor.supplierId };
  }
  let rows: (string | null)[][];
  try {
    ({ rows } = await deps.warehouse.preview({ sql: build(scope), limit: MAX_OPTIONS + 1, budgetMs: 5_000 }));
  } catch (err) {
    deps.log.warn({ err, dataset: datasetId, param }, "filter options failed");
    throw new ApiError("unavailable", "The list of values is not available right now; type the value instead.", undefined, { "Retry-After": "5" });
  }
  const values = rows
    .map((r) => r[0])
    .filter((v): v is string => v !== null)
    .sort((a, b) => a.localeCompare(b));
  return { param, values: values.slice(0, MAX_OPTIONS), truncated: values.length > MAX_OPTIONS };
}
