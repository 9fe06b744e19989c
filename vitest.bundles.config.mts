import { defineConfig } from "vitest/config";
import base, { NOT_TESTS } from "./vitest.config.mts";

// Bundle smoke tests (test/bundles/): the Lambda handlers and the portal built as SST builds them and loaded on
// their runtime's Node major. Minutes, not seconds (esbuild, `next build` + OpenNext, a Node download on a clean machine).
// The two files at once (the worker bundles run while OpenNext builds the portal): 50 s instead of 62 s on 2 cores.
export default defineConfig({
  ...base,
  test: { ...base.test, include: ["test/bundles/**/*.bundle.test.ts"], exclude: NOT_TESTS, testTimeout: 300_000, hookTimeout: 600_000, maxWorkers: 2 },
});
