/**
 * End-to-end tests in Debian's Chromium against the whole local stack: seeded
 * DuckDB warehouse, demo users, `next build && next start` and the worker,
 * all started by e2e/start-stack.ts in a fresh data folder and stopped with
 * the run (Playwright ends the script's whole process group).
 *
 *   npx playwright test                      # build, start, test, stop (a few minutes)
 *   E2E_SKIP_BUILD=1 npx playwright test     # reuse the current .next build
 */
import { defineConfig } from "@playwright/test";
import { E2E_BASE_URL, E2E_DATA_DIR, E2E_PORT } from "./e2e/stack-env";

export default defineConfig({
  testDir: "./e2e",
  // The specs share one stack and build on each other's exports: run them in order, one at a time.
  fullyParallel: false,
  workers: 1,
  timeout: 90_000,
  expect: { timeout: 15_000 },
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: process.env.CI ? [["list"], ["html", { open: "never" }]] : [["list"]],
  outputDir: "test-results",
  use: {
    baseURL: E2E_BASE_URL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    acceptDownloads: true,
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    },
  },
  projects: [{ name: "chromium", use: { browserName: "chromium", viewport: { width: 1280, height: 900 } } }],
  // E2E_NO_WEBSERVER=1 runs the specs against a stack already running at E2E_PORT with data in E2E_DATA_DIR.
  webServer: process.env.E2E_NO_WEBSERVER === "1" ? undefined : {
    command: "npx tsx e2e/start-stack.ts",
    url: `${E2E_BASE_URL}/signin`,
    // Seeding and `next build` on a 2-core machine take a few minutes.
    timeout: 600_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    gracefulShutdown: { signal: "SIGTERM", timeout: 10_000 },
    env: { E2E_DATA_DIR, E2E_PORT: String(E2E_PORT) },
  },
});
