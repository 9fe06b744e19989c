// lib/zip stands alone: its files import only Node built-ins, each other and hash-wasm (a SHA-256 whose state can be saved, for the resumable writer).
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";

describe("lib/zip imports", () => {
  it("imports nothing but node: built-ins, hash-wasm and its own files", async () => {
    const dir = import.meta.dirname;
    const files = (await readdir(dir)).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));
    expect(files.length).toBeGreaterThan(3);
    const outside: string[] = [];
    for (const file of files) {
      const source = await readFile(path.join(dir, file), "utf8");
      for (const [, spec] of source.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)) {
        if (spec.startsWith("node:") || spec === "hash-wasm") continue;
        if (spec.startsWith("./") && !spec.slice(2).includes("/")) continue;
        outside.push(`${file}: ${spec}`);
      }
    }
    expect(outside).toEqual([]);
  });
});
