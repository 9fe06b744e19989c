import { defineConfig } from "vitest/config";
import base, { NOT_TESTS } from "./vitest.config.mts";

// Tests that take too long to write on every edit (a >4 GiB ZIP64 archive, ~25 s and ~4.3 GB of temp disk).
// Two files at once (CPU- and disk-bound, so not the base's 3): 222 s instead of 241 s on 2 cores.
// Not merged with the base config: merging would keep its exclusion of *.slow.test.ts.
export default defineConfig({ ...base, test: { ...base.test, include: ["**/*.slow.test.ts"], exclude: NOT_TESTS, maxWorkers: 2 } });
