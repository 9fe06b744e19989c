import { describe, expect, it } from "vitest";
import { describeStep } from "@/components/format";
import type { ExportStep } from "@/lib/exports/model";

const at = "2026-12-02T06:00:00.000Z";

describe("describeStep", () => {
  it("shows the warehouse statement id to admins only", () => {
    const submitted = { step: "query_submitted", at, detail: { statementId: "b7e2c1d0-5f3a-4c1e-9a8b-1234567890ab" } } as ExportStep;
    expect(describeStep(submitted, "admin")).toEqual(["statement b7e2c1d0-5f3a-4c1e-9a8b-1234567890ab"]);
    expect(describeStep(submitted, "supplier")).toEqual([]);
  });

  it("describes the other steps the same for both", () => {
    const finished = { step: "query_finished", at, detail: { rows: 12345, files: 2, bytes: 4_100_000 } } as ExportStep;
    expect(describeStep(finished, "supplier")).toEqual(describeStep(finished, "admin"));
    expect(describeStep(finished, "supplier")[0]).toBe("12,345 rows");
  });
});
