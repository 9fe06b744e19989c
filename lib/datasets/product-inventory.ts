/**
 * Stock per SKU and warehouse: what a supplier has where, and what needs
 * restocking.
 */
import { z } from "zod";
import { quoteLiteral, sqlNumber, sqlStringList } from "./sql";
import {
  defineDataset,
  exclusiveUpperBoundCondition,
  lowerBoundCondition,
  paramsObjectError,
  renderDistinct,
  renderSelect,
  upperSkus,
  ZIsoDateOrDateTime,
  ZSkuList,
  ZSkuPrefix,
  type DatasetColumn,
} from "./types";

const WAREHOUSE_MESSAGE = "A warehouse name is 1 to 64 letters, digits, spaces, - or _.";

export const ZProductInventoryParams = z
  .object(
    {
      /** Only these SKUs. */
      skus: ZSkuList.optional().meta({ title: "SKUs", description: "Only these SKUs (one per line or comma-separated)." }),
      /** Only SKUs starting with this. */
      skuPrefix: ZSkuPrefix.optional().meta({ title: "SKU prefix", description: "Only SKUs starting with this, e.g. ROSE-." }),
      /** Only this warehouse (exact name, e.g. "Amsterdam DC"). */
      warehouse: z
        .string({ error: WAREHOUSE_MESSAGE })
        .regex(/^[A-Za-z0-9 _-]{1,64}$/, WAREHOUSE_MESSAGE)
        .optional()
        .meta({ title: "Warehouse", description: "Only stock held in this warehouse." }),
      /** Only rows at or below their reorder point. */
      lowStockOnly: z.boolean({ error: "Use true or false." }).optional().meta({ title: "Low stock only", description: "Only rows at or below their reorder point." }),
      /** Only rows updated at or after this date or date-time. */
      updatedSince: ZIsoDateOrDateTime.optional().meta({ title: "Updated since", description: "Only rows whose stock changed on or after this date (UTC: a date means from 00:00 UTC that day)." }),
      /** Only rows updated strictly before this date-time (with updatedSince: a half-open window). */
      updatedBefore: ZIsoDateOrDateTime.optional().meta({ title: "Updated before", description: "Only rows whose stock changed strictly before this instant (incremental schedules set it)." }),
    },
    { error: paramsObjectError },
  )
  .strict()
  .superRefine((p, ctx) => {
    if (p.skus !== undefined && p.skuPrefix !== undefined) {
      ctx.addIssue({ code: "custom", path: ["skuPrefix"], message: "Use either a SKU list or a SKU prefix, not both." });
    }
  });
export type TProductInventoryParams = z.infer<typeof ZProductInventoryParams>;

const columns: readonly DatasetColumn[] = [
  { name: "sku", type: "varchar", description: "Stock keeping unit." },
  { name: "product_id", type: "integer", description: "Product number in the shop's catalogue." },
  { name: "product_name", type: "varchar", description: "Product name as shown in the shop." },
  { name: "warehouse", type: "varchar", description: "Warehouse holding the stock." },
  { name: "qty_on_hand", type: "integer", description: "Units in stock." },
  { name: "reorder_point", type: "integer", description: "Stock level at or below which the shop reorders." },
  { name: "unit_cost", type: "decimal(10,2)", description: "Purchase price per unit, EUR." },
  { name: "updated_at", type: "timestamp", description: "Last stock change (UTC)." },
];

export const productInventory = defineDataset<TProductInventoryParams>({
  id: "product_inventory",
  title: "Product inventory",
  description: "Stock on hand per SKU and warehouse, with reorder points and unit costs.",
  columns,
  changeCursor: { column: "updated_at", fromParam: "updatedSince", beforeParam: "updatedBefore" },
  paramsSchema: ZProductInventoryParams,
  paramOptions: { warehouse: (scope) => renderDistinct("rsdataapi.product_inventory", "warehouse", scope) },
  buildQuery(p, scope, selected) {
    const where: string[] = [];
    if (p.skus) where.push(`sku IN ${sqlStringList(upperSkus(p.skus))}`);
    if (p.skuPrefix) {
      // LEFT(...) = '...', not LIKE: "_" is a SKU character but a LIKE wildcard, and Redshift's
      // LIKE escape character is the backslash that quoteLiteral refuses.
      const prefix = p.skuPrefix.toUpperCase();
      where.push(`LEFT(sku, ${sqlNumber(prefix.length)}) = ${quoteLiteral(prefix)}`);
    }
    if (p.warehouse !== undefined) where.push(`warehouse = ${quoteLiteral(p.warehouse)}`);
    if (p.lowStockOnly) where.push("qty_on_hand <= reorder_point");
    if (p.updatedSince !== undefined) where.push(lowerBoundCondition("updated_at", p.updatedSince));
    if (p.updatedBefore !== undefined) where.push(exclusiveUpperBoundCondition("updated_at", p.updatedBefore));
    // No ORDER BY: the table is stored in (supplier_id, sku, warehouse) order, and sorting
    // millions of rows would cost more than the rest of the export (see renderSelect).
    return renderSelect({ table: "rsdataapi.product_inventory", columns: selected, scope, where });
  },
});
