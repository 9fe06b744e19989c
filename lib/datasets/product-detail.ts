/** The supplier's products as the shop lists them: names and descriptions. */
import { z } from "zod";
import { sqlStringList } from "./sql";
import { defineDataset, paramsObjectError, renderSelect, upperSkus, ZSkuList, type DatasetColumn } from "./types";

export const ZProductDetailParams = z
  .object(
    {
      /** Only these SKUs. */
      skus: ZSkuList.optional().meta({ title: "SKUs", description: "Only these SKUs (one per line or comma-separated)." }),
    },
    { error: paramsObjectError },
  )
  .strict();
export type TProductDetailParams = z.infer<typeof ZProductDetailParams>;

const columns: readonly DatasetColumn[] = [
  { name: "sku", type: "varchar", description: "Stock keeping unit." },
  { name: "product_id", type: "integer", description: "Product number in the shop's catalogue." },
  { name: "product_name", type: "varchar", description: "Product name as shown in the shop." },
  { name: "product_description", type: "varchar", description: "Product description as shown in the shop." },
];

export const productDetail = defineDataset<TProductDetailParams>({
  id: "product_detail",
  title: "Product details",
  description: "Names and descriptions of your products as the shop shows them.",
  columns,
  paramsSchema: ZProductDetailParams,
  buildQuery(p, scope, selected) {
    const where: string[] = [];
    if (p.skus) where.push(`sku IN ${sqlStringList(upperSkus(p.skus))}`);
    return renderSelect({ table: "rsdataapi.product_detail", columns: selected, scope, where });
  },
});
