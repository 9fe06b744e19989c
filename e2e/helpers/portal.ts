/** Browser steps the specs share: signing in, screenshots, waiting for an export's status. */
import fs from "node:fs";
import path from "node:path";
import { expect, type Browser, type Page } from "@playwright/test";
import { DEMO_PASSWORD } from "@/lib/users/demo-users";
import { REPO_ROOT } from "../stack-env";

export const ROSE = "rose@suppliers.test";
export const TULIP = "tulip@suppliers.test";
export const ADMIN = "admin@acmeflowers.test";

const SHOTS = path.join(REPO_ROOT, "test-results", "screenshots");

/** A full-page screenshot kept as a test artifact: test-results/screenshots/<name>.png. */
export async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  // Relative times and pulsing badges settle; fonts are loaded.
  await page.evaluate(() => document.fonts.ready);
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true, animations: "disabled" });
}

/** Waits until the page's interactive part (form or export view) has hydrated, so clicks reach React. */
export async function hydrated(page: Page): Promise<void> {
  await page.locator("[data-hydrated]").first().waitFor();
}

/** Signs in through the form and waits to land on `expectPath` (default: the export form). */
export async function signIn(page: Page, email: string, opts: { from?: string; expectPath?: RegExp } = {}): Promise<void> {
  await page.goto(opts.from ?? "/signin");
  await expect(page).toHaveURL(/\/signin/);
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(DEMO_PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(opts.expectPath ?? /\/exports\/new$/);
  await expect(page.getByTestId("signed-in-user")).toContainText(email);
}

/** A fresh browser context signed in as `email`. */
export async function signedInPage(browser: Browser, email: string, viewport?: { width: number; height: number }): Promise<Page> {
  const context = await browser.newContext(viewport ? { viewport } : {});
  const page = await context.newPage();
  await signIn(page, email);
  return page;
}

/** The export id of an export page's URL. */
export function exportIdOf(page: Page): string {
  const m = /\/exports\/(exp_[0-9a-z]{22})/.exec(page.url());
  if (!m) throw new Error(`not an export page: ${page.url()}`);
  return m[1];
}

/** Waits (the page polls by itself) until the export page's live status says `status`. */
export async function expectStatus(page: Page, status: string, timeout = 60_000): Promise<void> {
  await expect(page.getByRole("status").filter({ has: page.locator("[data-status]") }).locator("[data-status]")).toHaveAttribute(
    "data-status",
    status,
    { timeout },
  );
}

/** The page does not scroll sideways (checked at 375 px). */
export async function expectNoHorizontalScroll(page: Page): Promise<void> {
  const { scrollWidth, clientWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
  }));
  expect(scrollWidth, `page is ${scrollWidth}px wide in a ${clientWidth}px viewport`).toBeLessThanOrEqual(clientWidth);
}

/**
 * API tokens for the signed-in owner, made through the API as Settings makes
 * them: a long name and every scope, so the tokens table is as wide as it gets.
 * Once per page (context): a second call adds nothing.
 */
export async function makeTokens(page: Page): Promise<void> {
  const existing = (await (await page.request.get("/api/v1/tokens")).json()) as { tokens: { name: string }[] };
  const names = ["ERP nightly synchronisation of inventory and unit costs (Amsterdam DC)", "e2e-sync-token-with-a-long-unbroken-name-1733100000000"];
  for (const name of names) {
    if (existing.tokens.some((t) => t.name === name)) continue;
    const res = await page.request.post("/api/v1/tokens", { data: { name, scopes: ["exports:read", "exports:write", "webhooks:manage", "audit:read"], expiresInDays: 90 } });
    expect(res.status(), await res.text()).toBe(201);
  }
}
