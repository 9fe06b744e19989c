import { forbidden } from "next/navigation";
import type { Metadata } from "next";
import { exportOr404 } from "@/app/_lib/exports";
import { requireActor } from "@/app/_lib/session";
import { supplierDirectory } from "@/app/_lib/suppliers";
import { ExportDetail } from "@/components/export-detail";

export const metadata: Metadata = { title: "Export (admin)" };

/** Any supplier's export with its full step history; Retry for failed exports, Cancel for running ones. */
export default async function AdminExportPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const { actor } = await requireActor(`/admin/exports/${encodeURIComponent(id)}`);
  if (actor.role !== "admin") forbidden();
  const { view, datasetTitle } = await exportOr404(actor, id);
  const supplierName = (await supplierDirectory()).find((s) => s.id === view.export.supplierId)?.name;
  return (
    <ExportDetail key={view.export.id} initial={view} datasetTitle={datasetTitle} mode="admin" backHref="/admin/exports" supplierName={supplierName} />
  );
}
