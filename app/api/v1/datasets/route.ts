// GET /api/v1/datasets – the exportable datasets, their columns and the JSON Schema of their filters
import { json, route } from "@/lib/api/handler";
import { describeDatasets } from "@/lib/api/datasets";

export const GET = route("GET /api/v1/datasets", async () => json({ datasets: describeDatasets() }));
