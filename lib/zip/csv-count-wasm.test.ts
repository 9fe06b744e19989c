import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { compileCsvCountWat } from "@/scripts/wasm-source";
import { CSV_COUNT_WASM } from "./csv-count-wasm";

describe("csv-count-wasm.ts", () => {
  it("holds the bytes csv-count.wat compiles to (run `npm run build:wasm` after editing the .wat)", async () => {
    const wat = fs.readFileSync(path.join(import.meta.dirname, "csv-count.wat"), "utf8");
    expect(Buffer.from(CSV_COUNT_WASM, "base64").equals(await compileCsvCountWat(wat))).toBe(true);
  });
});
