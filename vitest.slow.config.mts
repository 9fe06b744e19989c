import { defineConfig, mergeConfig } from "vitest/config";
import base from "./vitest.config.mts";

// `npm run test:slow` – tests that take too long for every CI run (a >4 GiB ZIP64 archive).
export default mergeConfig(base, defineConfig({ test: { include: ["**/*.slow.test.ts"], exclude: ["node_modules/**"] } }));
