// The export builder in the browser: chosen columns are exactly the zip's CSV header, the preview's rows
// are the export's first rows, zero rows is warned about and is its own outcome, JSON Lines and XLSX
// downloads read back, and axe-core finds no violation on any page as any role. Screenshots (desktop
// and phone) of the form with its preview, each status and the admin search go to test-results/screenshots.
import fs from "node:fs";
import ExcelJS from "exceljs";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { checkPage, PHONE } from "./helpers/axe";
import { makeFailedExport, makeQueuedExport, readExport } from "./helpers/backend";
import { ADMIN, expectStatus, exportIdOf, hydrated, makeTokens, ROSE, shot, signedInPage } from "./helpers/portal";
import { parseCsv, unzipTo, zipEntries } from "./helpers/zip";

test.describe.configure({ mode: "serial" });

let rose: Page;
/** Export ids made here, by kind, for the axe tour. */
const made: Record<string, string> = {};

test.beforeAll(async ({ browser }) => {
  rose = await signedInPage(browser, ROSE);
});

test.afterAll(async () => {
  await rose?.context().close();
});

/** The preview panel's count line once it has settled on an answer. */
async function settledPreview(page: Page): Promise<string> {
  const count = page.getByTestId("preview-count");
  await expect(count).toHaveText(/rows?|No rows|not known/, { timeout: 20_000 });
  await expect(page.getByTestId("export-preview")).toHaveAttribute("aria-busy", "false", { timeout: 20_000 });
  return (await count.textContent()) ?? "";
}

/** The preview table's rows as text (NULL cells read "NULL"). */
async function previewRows(page: Page): Promise<string[][]> {
  return page.getByTestId("preview-table").locator("tbody tr").evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "")));
}

async function download(page: Page, outDir: string): Promise<string[]> {
  const [dl] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Download zip" }).click()]);
  const zipPath = `${outDir}.zip`;
  await dl.saveAs(zipPath);
  return unzipTo(zipPath, outDir);
}

test("chosen columns, in the chosen order, are exactly the zip's CSV header; the preview's rows are its first rows", async ({}, testInfo) => {
  await rose.goto("/exports/new");
  await hydrated(rose);
  await rose.getByLabel("Low stock only").check();
  for (let i = 0; i < 3; i++) await rose.getByRole("button", { name: "Move warehouse up" }).click();
  for (const name of ["product_id", "product_name", "reorder_point", "updated_at"]) await rose.getByRole("checkbox", { name: new RegExp(`^${name}\\b`) }).uncheck();
  await expect(rose.getByText("4 of 8 columns, in this order.")).toBeVisible();
  await rose.getByLabel("Separator").selectOption(";");
  const count = await settledPreview(rose);
  expect(count).toMatch(/^[\d,]+ rows, about/);
  const table = rose.getByTestId("preview-table");
  await expect(table.locator("thead th")).toHaveText(["warehouse", "sku", "qty_on_hand", "unit_cost"]);
  const first = await previewRows(rose);
  expect(first).toHaveLength(20);
  await shot(rose, "builder-form-preview");

  await rose.getByRole("button", { name: "Export", exact: true }).click();
  await expect(rose).toHaveURL(/\/exports\/exp_[0-9a-z]{22}$/);
  made.ready = exportIdOf(rose);
  await expectStatus(rose, "ready");
  await expect(rose.getByText("warehouse, sku, qty_on_hand, unit_cost")).toBeVisible();
  await shot(rose, "builder-status-ready");
  const files = await download(rose, testInfo.outputPath("columns"));
  expect(files.map((f) => f.split("/").pop())).toEqual(["product_inventory.csv"]);
  const bytes = fs.readFileSync(files[0]);
  expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  const records = parseCsv(bytes.subarray(3).toString("utf8"), ";");
  expect(records[0]).toEqual(["warehouse", "sku", "qty_on_hand", "unit_cost"]);
  // A semicolon CSV has decimal commas (what a Dutch or German Excel reads as a number), and the preview shows them so.
  for (const r of records.slice(1)) expect(r[3]).toMatch(/^\d+,\d{2}$/);
  expect(records.slice(1, 21)).toEqual(first);
  // The preview's exact count is the export's row count.
  expect(records.length - 1).toBe(Number(count.replace(/ rows.*/, "").replaceAll(",", "")));
});

test("zero rows: the preview warns, the export asks again, and it finishes as 'No rows matched these filters'", async () => {
  await rose.goto("/exports/new");
  await hydrated(rose);
  await rose.getByLabel(/^SKU prefix/).fill("NOSUCHSKU");
  await settledPreview(rose);
  await expect(rose.locator('[data-warning="no_rows"]')).toContainText("No rows match these filters");
  await rose.getByRole("button", { name: "Export", exact: true }).click();
  const confirm = rose.getByRole("alertdialog", { name: "Export anyway?" });
  await expect(confirm).toBeVisible();
  await expect(confirm.getByRole("button", { name: "Export anyway" })).toBeFocused();
  await shot(rose, "builder-zero-rows-warning");
  await confirm.getByRole("button", { name: "Export anyway" }).click();
  await expect(rose).toHaveURL(/\/exports\/exp_[0-9a-z]{22}$/);
  made.noRows = exportIdOf(rose);
  await expectStatus(rose, "no_rows");
  await expect(rose.getByTestId("status-message")).toContainText("No rows matched these filters.");
  await expect(rose.getByRole("link", { name: "Download zip" })).toHaveCount(0);
  await shot(rose, "builder-status-no-rows");
  const view = await readExport(ROSE, made.noRows);
  expect(view.summary.phase).toBe("no_rows");
  expect(view.export.archiveKey).toBeNull();
  await rose.goto("/exports");
  await expect(rose.locator(`tr[data-export-id="${made.noRows}"] [data-status="no_rows"]`)).toHaveText("No rows");
  await expect(rose.locator(`tr[data-export-id="${made.ready}"] [data-status="ready"]`)).toHaveText("Ready");
  await shot(rose, "builder-history");
});

test("JSON Lines and XLSX exports download and read back", async ({}, testInfo) => {
  for (const format of ["jsonl", "xlsx"] as const) {
    await rose.goto("/exports/new");
    await hydrated(rose);
    await rose.getByRole("radio", { name: /Customer reviews/ }).check();
    await rose.getByLabel(/^Lowest rating/).fill("4");
    await rose.getByRole("radio", { name: format === "jsonl" ? /JSON Lines/ : /Excel \(XLSX\)/ }).check();
    const count = await settledPreview(rose);
    const rows = Number(count.replace(/ rows.*/, "").replaceAll(",", ""));
    expect(rows).toBeGreaterThan(0);
    await rose.getByRole("button", { name: "Export", exact: true }).click();
    await expect(rose).toHaveURL(/\/exports\/exp_[0-9a-z]{22}$/);
    made[format] = exportIdOf(rose);
    await expectStatus(rose, "ready");
    const files = await download(rose, testInfo.outputPath(format));
    const [dl] = files;
    if (format === "jsonl") {
      const lines = files.flatMap((f) => fs.readFileSync(f, "utf8").split("\n").filter((l) => l !== ""));
      expect(lines).toHaveLength(rows);
      for (const line of lines) {
        const o = JSON.parse(line) as Record<string, unknown>;
        expect(Object.keys(o)).toEqual(["sku", "rating", "title", "body", "created_at"]);
        expect(Number(o.rating)).toBeGreaterThanOrEqual(4);
      }
    } else {
      expect(zipEntries(`${testInfo.outputPath(format)}.zip`)).toEqual(["customer_reviews.xlsx"]);
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.readFile(dl);
      const ws = wb.worksheets[0];
      expect(ws.getRow(1).values).toEqual([undefined, "sku", "rating", "title", "body", "created_at"]);
      expect(ws.rowCount - 1).toBe(rows);
      ws.eachRow((row, n) => {
        if (n === 1) return;
        expect(typeof row.getCell(2).value).toBe("number");
        expect(row.getCell(2).value as number).toBeGreaterThanOrEqual(4);
        expect(row.getCell(5).value).toBeInstanceOf(Date);
      });
    }
  }
});

test("an identical export still running is announced, with a link, not silently opened", async () => {
  const body = { dataset: "customer_reviews", params: { ratingMin: 1, ratingMax: 1 }, format: "csv", notify: false };
  made.queued = await makeQueuedExport(ROSE, body, { asApi: true });
  await rose.goto("/exports/new");
  await hydrated(rose);
  await rose.getByRole("radio", { name: /Customer reviews/ }).check();
  await rose.getByLabel(/^Lowest rating/).fill("1");
  await rose.getByLabel(/^Highest rating/).fill("1");
  await rose.getByLabel("Email me when it's ready").uncheck();
  await settledPreview(rose);
  await rose.getByRole("button", { name: "Export", exact: true }).click();
  const notice = rose.getByRole("alert").filter({ hasText: "You already have this export running." });
  await expect(notice).toBeVisible();
  await expect(notice.getByRole("link", { name: "Open the running export" })).toHaveAttribute("href", `/exports/${made.queued}`);
  await expect(rose).toHaveURL(/\/exports\/new$/);
  await shot(rose, "builder-duplicate");
  await rose.goto(`/exports/${made.queued}`);
  await expectStatus(rose, "queued", 5_000);
  await shot(rose, "builder-status-queued");
});

test("failed and cancelled exports speak plainly to suppliers; admins see the cause, search, and the stuck view", async ({ browser }) => {
  made.failed = await makeFailedExport(ROSE, { dataset: "product_detail", params: {}, format: "parquet", notify: true });
  await rose.goto(`/exports/${made.failed}`);
  await expectStatus(rose, "failed", 5_000);
  await expect(rose.getByTestId("failure-explanation")).toContainText("could not be queued");
  await expect(rose.getByText("enqueue_failed")).toHaveCount(0);
  await shot(rose, "builder-status-failed");

  made.cancelled = await makeQueuedExport(ROSE, { dataset: "product_detail", params: { skus: ["FLOWER12"] }, format: "csv", notify: true });
  await rose.goto(`/exports/${made.cancelled}`);
  await hydrated(rose);
  await rose.getByRole("button", { name: "Cancel export" }).click();
  await rose.getByRole("button", { name: "Yes, cancel it" }).click();
  await expectStatus(rose, "cancelled", 10_000);
  await expect(rose.getByTestId("status-message")).toHaveText("The export was cancelled. No email was sent.");
  await expect(rose.getByText("Not sent: the export was cancelled")).toBeVisible();
  await shot(rose, "builder-status-cancelled");

  const admin = await signedInPage(browser, ADMIN);
  await admin.goto(`/admin/exports?q=${made.ready}`);
  const rows = admin.locator("tr[data-export-id]");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toHaveAttribute("data-export-id", made.ready);
  await admin.getByLabel("Search", { exact: true }).fill(ROSE.toUpperCase());
  await admin.getByRole("button", { name: "Filter" }).click();
  await expect(admin).toHaveURL(/q=ROSE%40SUPPLIERS.TEST/i);
  await expect(admin.locator(`tr[data-export-id="${made.noRows}"]`)).toBeVisible();
  await expect(admin.getByRole("columnheader", { name: "Attempts" })).toBeVisible();
  await expect(admin.getByRole("columnheader", { name: "Error" })).toBeVisible();
  await shot(admin, "builder-admin-search");
  // A supplier's name finds its exports.
  await admin.goto(`/admin/exports?q=${encodeURIComponent("rose supply")}`);
  await expect(admin.locator(`tr[data-export-id="${made.ready}"]`)).toContainText("Rose Supply Co");
  for (const row of await admin.locator("tr[data-export-id]").all()) await expect(row).toContainText("Rose Supply Co");
  await admin.goto("/admin/exports");
  await expect(admin.locator(`tr[data-export-id="${made.failed}"]`)).toContainText("enqueue_failed");
  await expect(admin.getByText("Today", { exact: true })).toBeVisible();
  await admin.getByRole("link", { name: /^Stuck: queued over/ }).click();
  await expect(admin).toHaveURL(/view=stuck/);
  // The queued export made above is minutes old, not stuck yet: the view lists only older ones.
  await expect(admin.locator(`tr[data-export-id="${made.queued}"]`)).toHaveCount(0);
  await shot(admin, "builder-admin-stuck");
  await admin.goto(`/admin/exports/${made.failed}`);
  await expect(admin.getByTestId("failure-explanation")).toContainText("could not be put in the work queue");
  await expect(admin.getByText("enqueue_failed").first()).toBeVisible();
  await admin.context().close();
});

async function tour(browser: Browser, who: string | null, pages: [string, string][], counts: Record<string, number>, viewport?: { width: number; height: number }) {
  const page = who ? await signedInPage(browser, who, viewport) : await (await browser.newContext(viewport ? { viewport } : {})).newPage();
  // Settings with API tokens in its table: a long name and every scope (the table once made the page 622 px wide at 375 px).
  if (who === ROSE) await makeTokens(page);
  for (const [url, name] of pages) {
    const label = `${who ?? "signed out"} ${viewport ? "phone" : "desktop"} ${url}`;
    const ready = url.startsWith("/exports/new")
      ? (p: Page) => settledPreview(p).then(() => undefined)
      : url === "/settings" && who === ROSE
        ? (p: Page) => expect(p.getByTestId("token-row").first()).toBeVisible()
        : undefined;
    await checkPage(page, url, label, counts, ready);
    await shot(page, `builder-${viewport ? "phone" : "desktop"}-${who === ADMIN ? "admin" : who ? "supplier" : "anon"}-${name}`);
  }
  await page.context().close();
}

const SIGNED_OUT = (): [string, string][] => [["/signin", "signin"]];
const SUPPLIER_PAGES = (): [string, string][] => [
  ["/exports/new", "new-export"],
  ["/exports/new?dataset=no_such_dataset", "new-export-unknown-dataset"],
  ["/exports", "history"],
  ["/exports?from=2026-12-01&to=2026-11-01", "history-reversed-dates"],
  [`/exports/${made.ready}`, "export-ready"],
  [`/exports/${made.noRows}`, "export-no-rows"],
  [`/exports/${made.queued}`, "export-queued"],
  [`/exports/${made.failed}`, "export-failed"],
  [`/exports/${made.cancelled}`, "export-cancelled"],
  [`/exports/${made.xlsx}`, "export-xlsx"],
  ["/exports/exp_0000000000000000000000", "export-not-found"],
  ["/settings", "settings"],
  ["/docs/api", "docs-api"],
  ["/dev/mail", "dev-mail"],
  ["/admin/exports", "admin-forbidden"],
];
const ADMIN_PAGES = (): [string, string][] => [
  ["/admin/exports", "admin-exports"],
  ["/admin/exports?view=stuck", "admin-stuck"],
  [`/admin/exports?q=${made.ready}`, "admin-search"],
  [`/admin/exports/${made.failed}`, "admin-export-failed"],
  [`/admin/exports/${made.ready}`, "admin-export-ready"],
  ["/exports/new", "admin-new-export"],
  ["/settings", "admin-settings"],
];

for (const [who, pages] of [
  [null, SIGNED_OUT],
  [ROSE, SUPPLIER_PAGES],
  [ADMIN, ADMIN_PAGES],
] as const) {
  for (const viewport of [undefined, PHONE]) {
    test(`axe finds no violation on any page as ${who ?? "a signed-out visitor"} (${viewport ? "phone" : "desktop"})`, async ({ browser }, testInfo) => {
      test.setTimeout(300_000);
      const counts: Record<string, number> = {};
      await tour(browser, who, pages(), counts, viewport);
      // The per-page violation counts, for the report (all zero when the test passes).
      console.log(`axe ${who ?? "signed out"} ${viewport ? "phone" : "desktop"}: ${JSON.stringify(counts)}`);
      fs.writeFileSync(testInfo.outputPath("axe-counts.json"), JSON.stringify(counts, null, 2));
    });
  }
}
