/**
 * A supplier schedules a daily incremental export to their SFTP server (a
 * real one, started here), runs it with "Run now", finds the file on the
 * server, adds rows to the warehouse, runs it again, and gets only the new rows.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { E2E_DATA_DIR } from "./stack-env";
import { ADMIN, hydrated, ROSE, shot, signIn } from "./helpers/portal";
import { parseCsv } from "./helpers/zip";
import { startSftpServer, type TestSftpServer } from "@/test/support/sftp-server";
import { countInventoryBefore, insertInventoryRows } from "@/test/support/warehouse-rows";

const WAREHOUSE = path.join(E2E_DATA_DIR, "warehouse.duckdb");
let sftp: TestSftpServer;

test.beforeAll(async () => {
  sftp = await startSftpServer({ username: "rose-drop", password: "e2e-sftp-password" });
});
test.afterAll(async () => {
  await sftp.close();
});

async function zipsOnServer(): Promise<string[]> {
  return (await sftp.listFiles()).filter((f) => f.endsWith(".zip"));
}

function csvRows(file: string): string[][] {
  const text = execFileSync("unzip", ["-p", path.join(sftp.root, file)], { encoding: "utf8", maxBuffer: 256 << 20 });
  return parseCsv(text).slice(1).filter((r) => r.length > 1);
}

test("daily incremental schedule to SFTP: Run now delivers everything, the second run only the new rows", async ({ page }) => {
  await signIn(page, ROSE);

  // Settings → Destinations: add the SFTP server, test the connection (its host key gets pinned).
  await page.goto("/settings");
  const destinations = page.getByRole("region", { name: "Destinations" });
  await destinations.getByLabel("Name", { exact: true }).fill("ERP drop");
  await destinations.getByLabel("Host", { exact: true }).fill(sftp.host);
  await destinations.getByLabel("Port", { exact: true }).fill(String(sftp.port));
  await destinations.getByLabel("User name").fill(sftp.username);
  await destinations.getByLabel("Folder", { exact: true }).fill("incoming");
  await destinations.getByLabel("Password", { exact: true }).fill(sftp.password);
  await destinations.getByRole("button", { name: "Add destination" }).click();
  const row = destinations.locator("li", { hasText: "ERP drop" });
  await expect(row).toContainText(`SFTP rose-drop@${sftp.host}:${sftp.port}`);
  await row.getByRole("button", { name: "Test connection" }).click();
  await expect(row.getByRole("status")).toContainText("Connection works");
  await expect(row).toContainText(`Host key: ${sftp.fingerprint}`);
  await expect(page.locator("body")).not.toContainText(sftp.password);
  expect(await zipsOnServer()).toEqual([]);

  // Schedules → New schedule: the export form plus timing, incremental and the destination.
  await page.goto("/schedules/new");
  await hydrated(page);
  await page.getByRole("radio", { name: /Product inventory/ }).check();
  await page.getByLabel("Name", { exact: true }).fill("Morning stock to ERP");
  await page.getByLabel("Repeat").selectOption("daily");
  await page.getByLabel("At", { exact: true }).fill("06:00");
  await page.getByLabel("Time zone").fill("Europe/Amsterdam");
  await page.getByLabel("Only rows changed since the last delivered run").check();
  await page.getByLabel(/ERP drop/).check();
  await page.getByLabel("Email me when it's ready").uncheck();
  await page.getByRole("button", { name: "Create schedule" }).click();
  await expect(page).toHaveURL(/\/schedules$/);
  const card = page.getByRole("article", { name: "Morning stock to ERP" });
  await expect(card).toContainText("Daily at 06:00 (Europe/Amsterdam)");
  await expect(card.getByTestId("next-run")).toContainText("06:00 Europe/Amsterdam");
  await expect(card.getByTestId("cursor")).toHaveText("from the beginning");

  // Run now: the whole of rose's inventory arrives on the server.
  const beforeFirst = new Date().toISOString();
  await card.getByRole("button", { name: "Run now" }).click();
  await expect.poll(zipsOnServer, { timeout: 60_000 }).toHaveLength(1);
  const [first] = await zipsOnServer();
  expect(first).toMatch(/^incoming\/product_inventory-sup_rose-.*\.zip$/);
  const firstRows = csvRows(first!);
  expect(firstRows.length).toBe(await countInventoryBefore(WAREHOUSE, "sup_rose", beforeFirst));
  await expect(card.getByTestId("last-status")).toContainText("delivered", { timeout: 30_000 });
  await expect(card.getByTestId("cursor")).toContainText("rows changed since");
  await shot(page, "schedules-after-first-run");

  // New rows land in the warehouse, stamped by its clock after the first run's window closed.
  const stamped = new Date().toISOString();
  await insertInventoryRows(WAREHOUSE, [
    { sku: "E2E-NEW-1", updatedAt: stamped },
    { sku: "E2E-NEW-2", updatedAt: stamped },
    { sku: "E2E-NEW-3", updatedAt: stamped },
  ]);

  await card.getByRole("button", { name: "Run now" }).click();
  await expect.poll(zipsOnServer, { timeout: 60_000 }).toHaveLength(2);
  const second = (await zipsOnServer()).find((f) => f !== first)!;
  expect(csvRows(second).map((r) => r[0]).sort()).toEqual(["E2E-NEW-1", "E2E-NEW-2", "E2E-NEW-3"]);
  await expect(card.getByTestId("last-status")).toContainText("delivered", { timeout: 30_000 });
  await expect(card.getByTestId("last-status")).toContainText("3 rows");

  // The run is an ordinary export: its page opens from the schedule, ready to download too.
  await card.getByTestId("last-run").getByRole("link").click();
  await expect(page).toHaveURL(/\/exports\/exp_[0-9a-z]{22}$/);
  await expect(page.getByRole("link", { name: /Download/ }).first()).toBeVisible();
});

test("admins see every supplier's schedules, with the last run and a link to it", async ({ browser }) => {
  // The first test left rose's schedule with two delivered runs.
  const page = await (await browser.newContext()).newPage();
  await signIn(page, ADMIN);
  await page.goto("/admin/exports");
  await page.getByRole("link", { name: "Schedules", exact: true }).click();
  await expect(page).toHaveURL(/\/admin\/schedules$/);
  const row = page.getByTestId("admin-schedule-row").filter({ hasText: "Morning stock to ERP" });
  await expect(row).toContainText("sup_rose");
  await expect(row).toContainText("Daily at 06:00 (Europe/Amsterdam)");
  await expect(row).toContainText("delivered");
  await shot(page, "admin-schedules");
  await row.getByRole("link").click();
  await expect(page).toHaveURL(/\/exports\/exp_[0-9a-z]{22}$/);
});
