/** Reading one export for a page: another supplier's or an unknown id is the page's 404. */
import { notFound } from "next/navigation";
import { getDeps } from "@/lib/config";
import { getDataset } from "@/lib/datasets/catalog";
import type { Actor } from "@/lib/core/actor";
import { ApiError } from "@/lib/core/errors";
import type { ExportView } from "@/lib/exports/model";
import { getExport } from "@/lib/exports/service";

export async function exportOr404(actor: Actor, id: string): Promise<{ view: ExportView; datasetTitle: string }> {
  let view: ExportView;
  try {
    view = await getExport(await getDeps(), actor, id);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) notFound();
    throw err;
  }
  return { view, datasetTitle: getDataset(view.export.dataset)?.title ?? view.export.dataset };
}
