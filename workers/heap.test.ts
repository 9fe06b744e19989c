import { execFileSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { HEAP_GROWING_PERCENT } from "./heap";

/** V8's trace of the limit it sets after a full collection, in a process that loaded `module` first. */
function limitTrace(module: string): string {
  const script = `import(${JSON.stringify(module)}).then(() => { const keep = []; for (let i = 0; i < 200000; i++) keep.push({ i }); gc(); });`;
  const out = execFileSync(process.execPath, ["--expose-gc", "--trace-gc-verbose", "--import", "tsx", "-e", script], { encoding: "utf8", cwd: path.resolve(import.meta.dirname, "..") });
  return out.split("\n").filter((l) => l.includes("[HeapController] Limit:")).join("\n");
}

describe("tuneWorkerHeap", () => {
  it("makes V8 set the next old-generation limit at 3x the live size (it picks its own factor otherwise)", () => {
    const factor = (1 + HEAP_GROWING_PERCENT / 100).toFixed(1);
    expect(limitTrace("./workers/sqs.ts")).toContain(`(${factor})`);
    expect(limitTrace("node:os")).not.toContain(`(${factor})`);
  }, 60_000);
});
