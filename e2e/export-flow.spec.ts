// The whole journey through the real stack: a supplier exports filtered inventory and downloads it,
// the history and permalink keep it, another supplier cannot see it, the email links to it, and an
// admin sees everyone's exports and retries a failed one.
import fs from "node:fs";
import { expect, test, type Page } from "@playwright/test";
import { compareWithWarehouse, makeFailedExport, makeQueuedExport, readExport } from "./helpers/backend";
import { ADMIN, expectNoHorizontalScroll, expectStatus, exportIdOf, hydrated, ROSE, shot, signedInPage, TULIP } from "./helpers/portal";
import { readCsvRecords, unzipTo, zipEntries } from "./helpers/zip";
import { E2E_BASE_URL } from "./stack-env";

test.describe.configure({ mode: "serial" });

const FILTER = { warehouse: "Rotterdam", lowStockOnly: true };
let roseExportId = "";
let tulipExportId = "";
let rose: Page;

test.beforeAll(async ({ browser }) => {
  rose = await signedInPage(browser, ROSE);
});

test.afterAll(async () => {
  await rose?.context().close();
});

test("the export form shows API validation messages next to the field", async () => {
  await rose.goto("/exports/new");
  await expect(rose.getByRole("heading", { name: "New export" })).toBeVisible();
  await hydrated(rose);
  const inventory = rose.getByRole("radio", { name: /Product inventory/ });
  await expect(inventory).toBeChecked();
  // Each dataset lists its columns with descriptions.
  await rose.getByText("8 columns", { exact: true }).click();
  await expect(rose.getByRole("definition").filter({ hasText: "Stock level at or below which the shop reorders." })).toBeVisible();
  await shot(rose, "new-export");

  const skus = rose.getByLabel(/^SKUs/);
  await skus.fill("FLOWER12\nnot a sku!");
  await rose.getByRole("button", { name: "Export", exact: true }).click();
  await expect(rose.getByRole("alert").filter({ hasText: "Some filters are not valid." })).toBeVisible();
  // The message sits under the field, tied to it with aria-describedby, and the field is marked invalid.
  await expect(skus).toHaveAttribute("aria-invalid", "true");
  const describedBy = (await skus.getAttribute("aria-describedby"))!.split(" ");
  const errorId = describedBy.find((id) => id.endsWith("-error"))!;
  await expect(rose.locator(`[id="${errorId}"]`)).toContainText("“not a sku!”: A SKU is 1 to 64 letters");
  await shot(rose, "new-export-validation");
  await skus.fill("");
});

test("the export form works from the keyboard, with a visible focus ring", async () => {
  await rose.goto("/exports/new");
  await hydrated(rose);
  const inventory = rose.getByRole("radio", { name: /Product inventory/ });
  const details = rose.getByRole("radio", { name: /Product details/ });
  await inventory.focus();
  await rose.keyboard.press("ArrowRight");
  await expect(details).toBeChecked();
  await expect(details).toBeFocused();
  expect(await details.evaluate((el) => getComputedStyle(el).outlineStyle)).not.toBe("none");
  // The filters follow the dataset: product details has a SKU list only.
  await expect(rose.getByLabel(/^Warehouse/)).toHaveCount(0);
  await expect(rose.getByLabel(/^SKUs/)).toBeVisible();
  await rose.keyboard.press("ArrowLeft");
  await expect(inventory).toBeChecked();
  await expect(rose.getByLabel(/^Warehouse/)).toBeVisible();
  // The byte-order mark and the separator are CSV's: other formats do not offer them.
  await expect(rose.getByLabel("Add a byte-order mark for Excel")).toBeChecked();
  await rose.getByRole("radio", { name: /Parquet/ }).check();
  await expect(rose.getByLabel("Add a byte-order mark for Excel")).toHaveCount(0);
  await expect(rose.getByLabel("Separator")).toHaveCount(0);
});

test("a supplier exports Rotterdam's low stock, watches it finish and downloads exactly those rows", async ({}, testInfo) => {
  await rose.goto("/exports/new");
  await hydrated(rose);
  // The warehouse filter offers the supplier's own warehouses.
  const warehouse = rose.locator('select[name="params.warehouse"]');
  await expect(warehouse.locator("option", { hasText: FILTER.warehouse })).toHaveCount(1);
  await warehouse.selectOption(FILTER.warehouse);
  await rose.getByLabel("Low stock only").check();
  await expect(rose.getByLabel("Email me when it's ready")).toBeChecked();
  await expect(rose.getByRole("radio", { name: /CSV/ })).toBeChecked();
  await rose.getByLabel("Add a byte-order mark for Excel").check();
  await rose.getByRole("button", { name: "Export", exact: true }).click();

  await expect(rose).toHaveURL(/\/exports\/exp_[0-9a-z]{22}$/);
  roseExportId = exportIdOf(rose);
  await expect(rose.getByRole("heading", { name: "Product inventory" })).toBeVisible();
  await expect(rose.getByText(roseExportId)).toBeVisible();

  await expectStatus(rose, "ready");
  const status = rose.getByRole("status").filter({ has: rose.locator("[data-status]") });
  await expect(status).toContainText("Ready to download.");
  const steps = rose.getByRole("list", { name: "Steps" });
  for (const step of ["Requested", "Queued", "Started", "Query submitted", "Query finished", "Archive written", "Ready to download"]) {
    await expect(steps.getByText(step, { exact: true })).toBeVisible();
  }
  // Times are relative, exact on hover.
  await expect(steps.locator("time").first()).toHaveAttribute("title", /\d/);
  const sha = (await rose.getByTestId("sha256").textContent())!.trim();
  expect(sha).toMatch(/^[0-9a-f]{64}$/);
  await expect(rose.getByRole("button", { name: "Cancel export" })).toHaveCount(0);
  await shot(rose, "export-ready");

  const [download] = await Promise.all([rose.waitForEvent("download"), rose.getByRole("link", { name: "Download zip" }).click()]);
  expect(download.suggestedFilename()).toMatch(new RegExp(`^product_inventory-sup_rose-\\d{4}-\\d{2}-\\d{2}-${roseExportId.slice(-6)}\\.zip$`));
  const zipPath = testInfo.outputPath("export.zip");
  await download.saveAs(zipPath);
  const { createHash } = await import("node:crypto");
  expect(createHash("sha256").update(fs.readFileSync(zipPath)).digest("hex")).toBe(sha);

  expect(zipEntries(zipPath)).toEqual(["product_inventory.csv"]);
  const files = unzipTo(zipPath, testInfo.outputPath("unzipped"));
  expect(fs.readFileSync(files[0]).subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
  const rows = readCsvRecords(files);
  expect(rows.length).toBeGreaterThan(0);
  for (const row of rows) {
    expect(row.warehouse).toBe("Rotterdam");
    expect(Number(row.qty_on_hand)).toBeLessThanOrEqual(Number(row.reorder_point));
  }
  // Every row is rose's, and none of rose's matching rows is missing: the same query, run directly.
  const cmp = await compareWithWarehouse(files, "product_inventory", FILTER, "sup_rose");
  expect(cmp).toEqual({ zippedRows: rows.length, directRows: rows.length, onlyInZip: 0, onlyInDirect: 0, foreignRows: 0 });
  await expect(rose.getByText(rows.length.toLocaleString("en-US"), { exact: true })).toBeVisible();
});

test("the history lists the export, filters stay in the URL, and the permalink survives a reload", async () => {
  await rose.goto("/exports");
  const row = rose.locator(`tr[data-export-id="${roseExportId}"]`);
  await expect(row).toBeVisible();
  await expect(row.getByRole("link", { name: /^Download/ })).toHaveAttribute("href", `/api/v1/exports/${roseExportId}/download`);
  await expect(row).toContainText("Warehouse: Rotterdam");
  await shot(rose, "history");

  await rose.getByLabel("Status").selectOption("ready");
  await rose.getByLabel("Dataset").selectOption("product_inventory");
  await rose.getByRole("button", { name: "Filter" }).click();
  await expect(rose).toHaveURL(/\/exports\?status=ready&dataset=product_inventory/);
  await expect(row).toBeVisible();
  await rose.getByLabel("Status").selectOption("failed");
  await rose.getByRole("button", { name: "Filter" }).click();
  await expect(rose).toHaveURL(/status=failed/);
  await expect(rose.getByRole("heading", { name: "No exports match these filters" })).toBeVisible();
  await shot(rose, "history-empty-filter");
  await rose.getByRole("link", { name: "Clear filters" }).first().click();
  await expect(rose).toHaveURL(/\/exports$/);

  await row.getByRole("link", { name: "Product inventory", exact: true }).click();
  await expect(rose).toHaveURL(new RegExp(`/exports/${roseExportId}$`));
  await rose.reload();
  await expect(rose.getByText(roseExportId)).toBeVisible();
  await expectStatus(rose, "ready", 5_000);
});

test("Run again starts a new export with the same dataset and filters", async () => {
  await rose.goto(`/exports/${roseExportId}`);
  await hydrated(rose);
  await rose.getByRole("button", { name: "Run again" }).click();
  await expect(rose).not.toHaveURL(new RegExp(roseExportId));
  await expect(rose).toHaveURL(/\/exports\/exp_[0-9a-z]{22}$/);
  const again = exportIdOf(rose);
  await expectStatus(rose, "ready");
  const view = await readExport(ROSE, again);
  expect(view.export.params).toEqual(FILTER);
  expect(view.export.bom).toBe(true);
});

test("a queued export is polled until it is cancelled, then polling stops", async () => {
  const id = await makeQueuedExport(ROSE, { dataset: "customer_reviews", params: { ratingMin: 5 }, format: "csv", notify: false });
  const polls: string[] = [];
  rose.on("response", (r) => {
    if (r.url().endsWith(`/api/v1/exports/${id}`)) polls.push(r.url());
  });
  await rose.goto(`/exports/${id}`);
  await hydrated(rose);
  await expectStatus(rose, "queued", 5_000);
  await expect(rose.getByTestId("status-message")).toHaveText("Waiting for a worker to pick it up.");
  await expect.poll(() => polls.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
  await shot(rose, "export-queued");

  await rose.getByRole("button", { name: "Cancel export" }).click();
  const confirm = rose.getByRole("alertdialog", { name: "Cancel this export?" });
  await expect(confirm).toBeVisible();
  await expect(confirm.getByRole("button", { name: "Yes, cancel it" })).toBeFocused();
  await shot(rose, "export-cancel-confirm");
  await confirm.getByRole("button", { name: "Yes, cancel it" }).click();
  await expectStatus(rose, "cancelled", 10_000);
  await expect(rose.locator('li[data-step="cancelled"]')).toContainText(`by ${ROSE}`);
  await expect(rose.getByRole("button", { name: "Cancel export" })).toHaveCount(0);
  await expect(rose.getByRole("button", { name: "Run again" })).toBeVisible();

  // Finished: no more polling.
  await rose.waitForTimeout(1_000);
  const settled = polls.length;
  await rose.waitForTimeout(4_000);
  expect(polls.length).toBe(settled);
  expect((await readExport(ROSE, id)).export.status).toBe("cancelled");
  await shot(rose, "export-cancelled");
});

test("the history pages with a cursor in the URL", async () => {
  await rose.goto("/exports?limit=1");
  const rows = rose.locator("tr[data-export-id]");
  await expect(rows).toHaveCount(1);
  const newest = await rows.first().getAttribute("data-export-id");
  await expect(rose.getByRole("link", { name: "← Newest" })).toHaveCount(0);
  await rose.getByRole("link", { name: "Older →" }).click();
  await expect(rose).toHaveURL(/\/exports\?limit=1&cursor=[\w-]+$/);
  await expect(rows).toHaveCount(1);
  expect(await rows.first().getAttribute("data-export-id")).not.toBe(newest);
  // The page is bookmarkable: a reload shows the same page.
  const second = await rows.first().getAttribute("data-export-id");
  await rose.reload();
  expect(await rows.first().getAttribute("data-export-id")).toBe(second);
  await shot(rose, "history-older-page");
  await rose.getByRole("link", { name: "← Newest" }).click();
  await expect(rose).toHaveURL(/\/exports\?limit=1$/);
  expect(await rows.first().getAttribute("data-export-id")).toBe(newest);
});

test("another supplier gets a 404 for the export's page and its download", async ({ browser }) => {
  const tulip = await signedInPage(browser, TULIP);
  const response = await tulip.goto(`/exports/${roseExportId}`);
  expect(response?.status()).toBe(404);
  await expect(tulip.getByRole("heading", { name: "Export not found" })).toBeVisible();
  await expect(tulip.getByText(roseExportId)).toHaveCount(0);
  await shot(tulip, "export-not-found");

  const download = await tulip.request.get(`/api/v1/exports/${roseExportId}/download`, { maxRedirects: 0 });
  expect(download.status()).toBe(404);
  const api = await tulip.request.get(`/api/v1/exports/${roseExportId}`);
  expect(api.status()).toBe(404);

  // Tulip's own export, for the admin list below.
  const created = await tulip.request.post("/api/v1/exports", {
    data: { dataset: "customer_reviews", params: { ratingMin: 4 }, format: "csv", bom: false, notify: false },
    headers: { origin: E2E_BASE_URL },
  });
  expect(created.status()).toBe(202);
  tulipExportId = ((await created.json()) as { export: { id: string } }).export.id;
  await tulip.goto(`/exports/${tulipExportId}`);
  await expectStatus(tulip, "ready");
  await tulip.context().close();
});

test("the ready email in the outbox links to the export's page", async () => {
  await rose.goto("/dev/mail");
  await expect(rose.getByRole("heading", { name: "Dev mail" })).toBeVisible();
  const link = `${E2E_BASE_URL}/exports/${roseExportId}`;
  // The worker sends the email just after the export turns ready: wait for it.
  const mail = rose.locator("li", { has: rose.locator("summary", { hasText: "Your Product inventory export is ready" }) }).filter({
    has: rose.getByTestId("mail-text").filter({ hasText: link }),
  });
  await expect(async () => {
    await rose.reload();
    await expect(mail).toHaveCount(1, { timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  await mail.locator("summary").click();
  await expect(mail.locator("summary")).toContainText(`To ${ROSE}`);
  const html = mail.locator("iframe");
  await expect(html).toHaveAttribute("sandbox", "");
  await expect(rose.frameLocator(`li[data-message-id="${await mail.getAttribute("data-message-id")}"] iframe`).getByRole("link", { name: "Open the export" })).toHaveAttribute(
    "href",
    link,
  );
  await shot(rose, "dev-mail");

  await mail.getByTestId("mail-text").getByRole("link", { name: link }).click();
  await expect(rose).toHaveURL(link);
  await expectStatus(rose, "ready", 5_000);
});

test("the admin sees every supplier's exports and retries a failed one to ready", async ({ browser }) => {
  const failedId = await makeFailedExport(ROSE, { dataset: "product_detail", params: { skus: ["FLOWER12", "FLOWER13"] }, format: "parquet", notify: true });
  const admin = await signedInPage(browser, ADMIN);
  await admin.goto("/admin/exports");
  await expect(admin.getByRole("heading", { name: "All exports" })).toBeVisible();
  for (const [id, supplier] of [
    [roseExportId, "Rose Supply Co"],
    [tulipExportId, "Tulip Traders"],
    [failedId, "Rose Supply Co"],
  ]) {
    await expect(admin.locator(`tr[data-export-id="${id}"]`)).toContainText(supplier);
  }
  await expect(admin.getByTestId("count-failed")).toHaveAttribute("aria-label", /^Failed: [1-9]\d* /);
  await expect(admin.getByTestId("p50")).not.toHaveText("—");
  await expect(admin.locator("figcaption")).toContainText("Exports requested per day (UTC)");
  await shot(admin, "admin-exports");

  // Filters live in the URL.
  await admin.getByLabel("Supplier").selectOption("sup_tulip");
  await admin.getByRole("button", { name: "Filter" }).click();
  await expect(admin).toHaveURL(/supplierId=sup_tulip/);
  await expect(admin.locator(`tr[data-export-id="${tulipExportId}"]`)).toBeVisible();
  await expect(admin.locator(`tr[data-export-id="${roseExportId}"]`)).toHaveCount(0);

  await admin.goto(`/admin/exports?status=failed`);
  await admin.locator(`tr[data-export-id="${failedId}"]`).getByRole("link", { name: "Product details", exact: true }).click();
  await expect(admin).toHaveURL(new RegExp(`/admin/exports/${failedId}$`));
  await expectStatus(admin, "failed", 5_000);
  await expect(admin.getByTestId("failure-explanation")).toContainText("could not be put in the work queue");
  await expect(admin.getByText("enqueue_failed").first()).toBeVisible();
  await shot(admin, "admin-export-failed");
  await hydrated(admin);

  await admin.getByRole("button", { name: "Retry" }).click();
  await expectStatus(admin, "ready");
  const steps = admin.getByRole("list", { name: "Steps" });
  await expect(steps.locator('li[data-step="retried"]')).toContainText(`by ${ADMIN}`);
  await expect(admin.getByRole("button", { name: "Retry" })).toHaveCount(0);
  await shot(admin, "admin-export-retried");
  const view = await readExport(ADMIN, failedId);
  expect(view.export.status).toBe("ready");
  expect(view.steps.map((s) => s.step)).toEqual(expect.arrayContaining(["failed", "retried", "ready"]));
  await admin.context().close();
});

test("every page fits a 375 px phone", async ({ browser }) => {
  const phone = { width: 375, height: 812 };
  const page = await signedInPage(browser, ROSE, phone);
  for (const [url, name] of [
    ["/exports/new", "mobile-new-export"],
    ["/exports", "mobile-history"],
    [`/exports/${roseExportId}`, "mobile-export"],
    ["/dev/mail", "mobile-dev-mail"],
  ]) {
    await page.goto(url);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    await expectNoHorizontalScroll(page);
    await shot(page, name);
  }
  await page.context().close();

  const admin = await signedInPage(browser, ADMIN, phone);
  await admin.goto("/admin/exports");
  await expect(admin.getByRole("heading", { name: "All exports" })).toBeVisible();
  await expectNoHorizontalScroll(admin);
  await shot(admin, "mobile-admin-exports");
  await admin.goto(`/admin/exports/${roseExportId}`);
  await expectNoHorizontalScroll(admin);
  await shot(admin, "mobile-admin-export");
  await admin.context().close();
});
