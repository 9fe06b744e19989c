// `npm run build:wasm`: compiles lib/zip/csv-count.wat (WebAssembly text) with wabt into
// lib/zip/csv-count-wasm.ts, the module's bytes as base64, so lib/zip needs no build step and no
// package at run time. lib/zip/csv-count-wasm.test.ts fails when the two disagree.
import fs from "node:fs";
import path from "node:path";
import { compileCsvCountWat, csvCountWasmSource } from "./wasm-source";

const root = path.resolve(import.meta.dirname, "..");
const target = path.join(root, "lib/zip/csv-count-wasm.ts");
void (async () => {
  const bytes = await compileCsvCountWat(fs.readFileSync(path.join(root, "lib/zip/csv-count.wat"), "utf8"));
  fs.writeFileSync(target, csvCountWasmSource(bytes));
  console.log(`wrote ${path.relative(root, target)} (${bytes.length} bytes of wasm)`);
})();
