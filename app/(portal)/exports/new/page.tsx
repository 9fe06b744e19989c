import type { Metadata } from "next";
import { NewExportForm } from "@/components/new-export-form";
import { PageHeader } from "@/components/ui";
import { datasetOptions } from "@/app/_lib/datasets";
import { pathWithQuery, requireActor } from "@/app/_lib/session";
import type { SearchParams } from "@/app/_lib/query";

export const metadata: Metadata = { title: "New export" };

export default async function NewExportPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const sp = await searchParams;
  const { actor } = await requireActor(pathWithQuery("/exports/new", sp));
  const preselected = typeof sp.dataset === "string" ? sp.dataset : undefined;
  return (
    <>
      <PageHeader
        title="New export"
        description="Pick a dataset, filters and columns, and check the preview. The export runs in the background and you get a zip of CSV, JSON Lines or Parquet files, or one Excel workbook."
      />
      <NewExportForm datasets={datasetOptions()} initialDataset={preselected} isAdmin={actor.role === "admin"} />
    </>
  );
}
