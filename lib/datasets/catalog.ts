/**
 * The exportable datasets. Routes, the worker and the OpenAPI document look
 * datasets up here by id; nothing else knows the list.
 */
import { z } from "zod";
import { customerReviews } from "./customer-reviews";
import { productDetail } from "./product-detail";
import { productInventory } from "./product-inventory";
import type { DatasetDefinition } from "./types";

// A Map, not an object literal: ids like "__proto__" or "toString" must not find anything.
const DATASETS = new Map<string, DatasetDefinition>(
  [productInventory, productDetail, customerReviews].map((d): [string, DatasetDefinition] => [d.id, d]),
);

/** Every dataset, in the order the export form shows them. */
export function listDatasets(): DatasetDefinition[] {
  return [...DATASETS.values()];
}

/** The dataset with this id, or undefined. */
export function getDataset(id: string): DatasetDefinition | undefined {
  return typeof id === "string" ? DATASETS.get(id) : undefined;
}

/**
 * Validates raw filter values (from a form or the API) against the dataset's
 * strict schema. An unknown dataset is reported the same way, as an issue on
 * `dataset`, so a form can show it inline.
 */
export function parseDatasetParams(
  id: string,
  raw: unknown,
): { ok: true; params: Record<string, unknown> } | { ok: false; error: z.ZodError } {
  const dataset = getDataset(id);
  if (!dataset) {
    return { ok: false, error: new z.ZodError([{ code: "custom", path: ["dataset"], message: "There is no such dataset.", input: id }]) };
  }
  const parsed = dataset.paramsSchema.safeParse(raw);
  return parsed.success ? { ok: true, params: parsed.data } : { ok: false, error: parsed.error };
}

/** Title of each filter (from the schema's `.meta`), by key. */
const labels = new Map<string, Map<string, string>>();

/** The filter's label as the form shows it ("SKU prefix"), or the key itself for a filter without one. */
export function paramLabel(datasetId: string, key: string): string {
  const dataset = getDataset(datasetId);
  if (!dataset) return key;
  let byKey = labels.get(dataset.id);
  if (!byKey) {
    const schema = z.toJSONSchema(dataset.paramsSchema as z.ZodType, { io: "input", unrepresentable: "any" }) as { properties?: Record<string, { title?: string }> };
    byKey = new Map(Object.entries(schema.properties ?? {}).flatMap(([k, v]) => (v.title ? [[k, v.title] as [string, string]] : [])));
    labels.set(dataset.id, byKey);
  }
  return byKey.get(key) ?? key;
}
