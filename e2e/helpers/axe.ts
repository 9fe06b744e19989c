/** The accessibility tour's checks: axe-core on the page as it stands, and no sideways scrolling on a phone. */
import AxeBuilder from "@axe-core/playwright";
import { expect, type Page } from "@playwright/test";
import { hydrated } from "./portal";

export const PHONE = { width: 375, height: 812 };

/** Runs axe on the page as it stands; fails listing every violation's rule and elements. `counts[label]`: how many elements violated. */
export async function expectNoAxeViolations(page: Page, label: string, counts: Record<string, number>): Promise<void> {
  await page.evaluate(() => document.fonts.ready);
  const result = await new AxeBuilder({ page }).analyze();
  counts[label] = result.violations.reduce((n, v) => n + v.nodes.length, 0);
  const report = result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  // Soft: the tour goes on to the next page, so one run lists every page's violations (the test still fails).
  expect.soft(report, `axe on ${label}`).toEqual([]);
}

/**
 * Opens `url`, waits for its heading (and its interactive part, when it has
 * one) and for `ready`, runs axe and, on a phone-sized page, checks it does not scroll sideways.
 */
export async function checkPage(page: Page, url: string, label: string, counts: Record<string, number>, ready?: (page: Page) => Promise<void>): Promise<void> {
  await page.goto(url);
  await expect(page.getByRole("heading", { level: 1 }).first()).toBeVisible();
  if (await page.locator("[data-hydrated]").count()) await hydrated(page);
  // What the page loads after hydrating (a table of tokens, a preview) must be there before it is measured.
  if (ready) await ready(page);
  await expectNoAxeViolations(page, label, counts);
  if ((page.viewportSize()?.width ?? 1280) <= PHONE.width) {
    const { scrollWidth, clientWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth }));
    expect.soft(scrollWidth, `${label}: the page is ${scrollWidth}px wide in a ${clientWidth}px viewport`).toBeLessThanOrEqual(clientWidth);
  }
}
