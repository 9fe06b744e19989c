import { defineConfig } from "vitest/config";
import path from "node:path";

/**
 * Never collected by any vitest config: dependencies, and build outputs that copy the repository's sources
 * (`.next/standalone` and OpenNext's `.open-next/server-functions/default` hold every *.test.ts of the tree),
 * the SST platform, the local data folders and Playwright's output.
 */
export const NOT_TESTS = ["**/node_modules/**", ".next/**", ".open-next/**", ".sst/**", ".data/**", ".cache/**", ".bench/**", "test-results/**", "playwright-report/**"];

export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: {
    include: ["lib/**/*.test.ts", "workers/**/*.test.ts", "test/**/*.test.ts", "app/**/*.test.ts"],
    exclude: ["**/*.slow.test.ts", "**/*.bundle.test.ts", ...NOT_TESTS],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Vitest's default is one worker fewer than the cores: one on CI's 2 cores. Most files here wait (queue visibility
    // timeouts, emulators, child processes) rather than compute: 3 workers took the run from 311 s to 190 s there
    // (2 workers: 212 s). The slow and bundle configs set their own.
    maxWorkers: 3,
  },
});
