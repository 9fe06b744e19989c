import type { Metadata } from "next";
import { exportOr404 } from "@/app/_lib/exports";
import { requireActor } from "@/app/_lib/session";
import { ExportDetail } from "@/components/export-detail";

export const metadata: Metadata = { title: "Export" };

/** An export's permalink (linked from emails): status, steps, download. Another supplier's export is a 404. */
export default async function ExportPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const { actor } = await requireActor(`/exports/${encodeURIComponent(id)}`);
  const { view, datasetTitle } = await exportOr404(actor, id);
  return (
    <ExportDetail
      key={view.export.id}
      initial={view}
      datasetTitle={datasetTitle}
      mode="supplier"
      backHref={actor.role === "admin" ? "/admin/exports" : "/exports"}
    />
  );
}
