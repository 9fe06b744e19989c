// GET /api/v1/datasets – the exportable datasets, their columns and the JSON Schema of their filters
import { json, withSupplier } from "@/lib/api/handler";
import { describeDatasets } from "@/lib/api/datasets";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const GET = withSupplier(async () => json({ datasets: describeDatasets() }));
