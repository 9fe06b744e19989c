/**
 * The export record is defined once (ZExportRecord in lib/exports/model.ts);
 * every other place that names its fields must name the same ones. Adding a
 * field to the schema and not to a store (or the reverse) fails here.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { EXPORT_ATTRIBUTES } from "@/lib/adapters/aws/dynamo-schema";
import { EXPORT_COLUMNS } from "@/lib/adapters/local/sqlite-job-store";
import { ZErrorBody, ZExport } from "@/lib/api/schemas";
import { ERROR_CODES } from "@/lib/core/errors";
import { EXPORT_FIELDS, EXPORT_STATUSES, IMMUTABLE_EXPORT_FIELDS, newExportRecord, ZExportRecord } from "@/lib/exports/model";
import { ZWebhookPayload } from "@/lib/webhooks/payload";

const sorted = (names: readonly string[]) => [...names].sort();

describe("the export record, defined once", () => {
  it("the SQLite column map covers exactly the record's fields, each column once", () => {
    expect(sorted(EXPORT_COLUMNS.map(([field]) => field))).toEqual(sorted(EXPORT_FIELDS));
    const columns = EXPORT_COLUMNS.map(([, column]) => column);
    expect(new Set(columns).size).toBe(columns.length);
  });

  it("the DynamoDB attribute list is exactly the record's fields", () => {
    expect(sorted(EXPORT_ATTRIBUTES)).toEqual(sorted(EXPORT_FIELDS));
  });

  it("the API and the webhook payload show the record through its schema", () => {
    expect(ZExport).toBe(ZExportRecord);
    expect(ZWebhookPayload.shape.data.shape.export).toBe(ZExportRecord);
    expect(Object.keys(z.toJSONSchema(ZExport, { io: "output" }).properties ?? {}).sort()).toEqual(sorted(EXPORT_FIELDS));
  });

  it("a new record fills every field and parses; immutable fields are record fields", () => {
    const record = newExportRecord({
      id: "exp_01jqabcdefghjkmnpqrstv",
      supplierId: null,
      requestedBy: "usr_1",
      requesterEmail: "a@example.com",
      dataset: "product_inventory",
      params: {},
      format: "csv",
      bom: false,
      notify: true,
      createdAt: "2026-01-01T00:00:00.000Z",
    });
    expect(sorted(Object.keys(record))).toEqual(sorted(EXPORT_FIELDS));
    expect(ZExportRecord.strict().parse(record)).toEqual(record);
    for (const field of IMMUTABLE_EXPORT_FIELDS) expect(EXPORT_FIELDS).toContain(field);
  });

  it("the error codes and statuses the API documents are the kernel's and the model's lists", () => {
    expect(ZErrorBody.shape.error.shape.code.options).toEqual([...ERROR_CODES]);
    expect(ZExportRecord.shape.status.options).toEqual([...EXPORT_STATUSES]);
  });
});
