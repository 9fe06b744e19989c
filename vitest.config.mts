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
  },
});
