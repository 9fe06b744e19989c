import { describe, expect, it } from "vitest";
import { renderFailedEmail, renderReadyEmail } from "./emails";
import { newExportRecord, type ExportRecord, type ExportStep } from "./model";
import { QUEUED_STUCK_AFTER_SECONDS, redactForSupplier, summarizeExport, supplierFailureMessage } from "./outcome";

const T0 = Date.parse("2026-12-01T10:00:00.000Z");
const at = (s: number) => new Date(T0 + s * 1000);

function rec(overrides: Partial<ExportRecord> = {}): ExportRecord {
  return newExportRecord(
    {
      id: "exp_01m8srmf3z0vcpt8ew9wff",
      supplierId: "sup_rose",
      requestedBy: "usr_1",
      requesterEmail: "rose@suppliers.test",
      dataset: "product_inventory",
      params: { skuPrefix: "FLOWER1", updatedSince: "2026-11-01" },
      format: "csv",
      bom: true,
      notify: true,
      createdAt: at(0).toISOString(),
    },
    overrides,
  );
}

const step = (name: ExportStep["step"], s: number, detail: ExportStep["detail"] = {}): ExportStep => ({ at: at(s).toISOString(), step: name, detail });

describe("summarizeExport", () => {
  it("counts down a retry wait and names the attempt, of the queue's maximum", () => {
    const r = rec({ status: "running", attempts: 1 });
    const steps = [step("started", 1, { attempt: 1 }), step("retrying", 10, { attempt: 1, message: "lock conflict", inSeconds: 30 })];
    expect(summarizeExport(r, steps, at(22), 3)).toMatchObject({
      phase: "retry_wait",
      message: "A temporary fault interrupted it. Retrying in 18 s (attempt 2 of 3).",
      retry: { at: at(40).toISOString(), attempt: 2, of: 3 },
    });
    expect(summarizeExport(r, steps, at(41), 3).message).toBe("Retrying now (attempt 2 of 3) after a temporary fault.");
    // Once the next attempt started, it is running again.
    expect(summarizeExport(r, [...steps, step("started", 41, { attempt: 2 })], at(42), 3)).toMatchObject({ phase: "running", message: "The warehouse is running the query." });
  });

  it("says a queued export waits too long once past the threshold", () => {
    const r = rec();
    expect(summarizeExport(r, [], at(60), 3).phase).toBe("queued");
    expect(summarizeExport(r, [], at(QUEUED_STUCK_AFTER_SECONDS + 61), 3)).toMatchObject({ phase: "queued_long", message: expect.stringMatching(/^Still waiting for a worker after 11 minutes/) });
  });

  it("reports archive progress, no rows, and a cancelled export's unsent email", () => {
    expect(summarizeExport(rec({ status: "archiving" }), [], at(5), 3, { bytesDone: 250, bytesTotal: 1000 })).toMatchObject({
      phase: "archiving",
      message: "Packing the result files into a zip archive: 25% done.",
      progress: { bytesDone: 250, bytesTotal: 1000 },
    });
    expect(summarizeExport(rec({ status: "ready", rowCount: 0, archiveKey: null }), [], at(5), 3).message).toMatch(/^No rows matched these filters\./);
    expect(summarizeExport(rec({ status: "ready", rowCount: 10, archiveKey: "archives/x.zip" }), [], at(5), 3).phase).toBe("ready");
    expect(summarizeExport(rec({ status: "cancelled" }), [], at(5), 3).message).toBe("The export was cancelled. No email was sent.");
  });
});

describe("failures in plain words", () => {
  const failed = rec({ status: "failed", errorCode: "warehouse_unavailable", errorMessage: "No warehouse file at /srv/app/.data/warehouse.duckdb; run `npm run seed`." });

  it("tells suppliers what happened and what to do, never the path or the command", () => {
    const msg = supplierFailureMessage(failed);
    expect(msg).toContain("Your filters were not the cause");
    expect(msg).toContain(failed.id);
    expect(msg).not.toMatch(/\/srv|npm|duckdb/);
  });

  it("redacts the record and the steps for suppliers", () => {
    const steps = [step("retrying", 5, { attempt: 1, message: "IO Error: /srv/app/x", inSeconds: 2 }), step("failed", 9, { code: "gave_up", message: "Gave up: /srv/app/x" })];
    const view = redactForSupplier(failed, steps);
    expect(JSON.stringify(view)).not.toMatch(/\/srv|npm run seed|gave_up/);
    expect(view.steps.map((s) => s.step)).toEqual(["retrying", "failed"]);
    expect(view.steps[0].detail).toEqual({ attempt: 1, inSeconds: 2 });
  });

  it("emails the plain message with the export id, the supplier's name and the filters' labels", () => {
    const mail = renderFailedEmail(failed, { publicUrl: "http://localhost:4000", supplierName: "Rose Supply Co" });
    expect(mail.text).toContain("Supplier: Rose Supply Co");
    expect(mail.text).toContain("Filters: SKU prefix: FLOWER1; Updated since: 2026-11-01 (UTC)");
    expect(mail.text).toContain(`Export id: ${failed.id}`);
    expect(mail.text).toContain("http://localhost:4000/exports/");
    expect(mail.text).not.toMatch(/\/srv|npm|change the filters/);
    const ready = renderReadyEmail(rec({ status: "ready", rowCount: 12, archiveKey: "a.zip", archiveBytes: 1000, delimiter: ";" }), { publicUrl: "http://x", supplierName: "Rose Supply Co" });
    expect(ready.text).toContain("Supplier: Rose Supply Co");
    expect(ready.text).toContain("Format: CSV, separated by semicolons, with byte-order mark");
    expect(ready.text).not.toContain("sup_rose");
  });
});
