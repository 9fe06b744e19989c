/**
 * The dataset catalog as the API describes it: each dataset's filters as a
 * JSON Schema generated from the same zod schema the service validates with.
 */
import { z } from "zod";
import { listDatasets } from "../datasets/catalog";

export interface DatasetDescription {
  id: string;
  title: string;
  description: string;
  columns: { name: string; type: string; description: string }[];
  /** JSON Schema (draft 2020-12) of the `params` object a request may send. */
  params: Record<string, unknown>;
  /** Filters whose values can be listed with GET /api/v1/datasets/{id}/options/{param} (e.g. `warehouse`). */
  paramOptions: string[];
  /** The column an incremental schedule windows on (rows changed since the last run), or null: always exported whole. */
  changeColumn: string | null;
}

let cached: DatasetDescription[] | undefined;

/** Every dataset, in catalog order. Computed once: the catalog is fixed for the process's life. */
export function describeDatasets(): DatasetDescription[] {
  return (cached ??= listDatasets().map((d) => ({
    id: d.id,
    title: d.title,
    description: d.description,
    columns: d.columns.map((c) => ({ name: c.name, type: c.type, description: c.description })),
    // The input side: what a client sends (before defaults and transforms). Refinements such as
    // "either skus or skuPrefix" cannot be expressed and are checked on submit.
    params: z.toJSONSchema(d.paramsSchema as z.ZodType, { io: "input", unrepresentable: "any" }) as Record<string, unknown>,
    paramOptions: Object.keys(d.paramOptions ?? {}),
    changeColumn: d.changeCursor?.column ?? null,
  })));
}
