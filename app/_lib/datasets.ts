/** The dataset catalog as the pages need it: the same description `GET /api/v1/datasets` returns. */
import type { DatasetOption } from "@/components/new-export-form";
import { describeDatasets } from "@/lib/api/datasets";
import { listDatasets } from "@/lib/datasets/catalog";

/** Ids, titles, columns and the params JSON Schema the export form is generated from. */
export function datasetOptions(): DatasetOption[] {
  // A JSON round trip: zod builds the schema from null-prototype objects, which React will not pass to a client component.
  return JSON.parse(JSON.stringify(describeDatasets())) as DatasetOption[];
}

export function datasetTitles(): Record<string, string> {
  return Object.fromEntries(listDatasets().map((d) => [d.id, d.title]));
}
