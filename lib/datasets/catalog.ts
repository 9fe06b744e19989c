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
