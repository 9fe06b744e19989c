/**
 * Smoke test of `bench:export --backend aws` at a tiny size: the delegation from the local bench's
 * entry, both archives through the real worker on the emulators, the per-run lines, medians and
 * ratios. Checks what the bench prints, never its timings (benchmarks are not tests).
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

describe("bench:export --backend aws", () => {
  it("runs old and new archives and prints runs, medians and ratios", () => {
    const out = execFileSync(process.execPath, ["--import", "tsx", "scripts/bench-export.ts", "--backend", "aws", "--rows", "3000", "--runs", "1", "--no-warmup", "--check"], {
      env: { ...process.env, NODE_NO_WARNINGS: "1" },
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(out).toMatch(/^bench:export --backend aws rows=3,000 /m);
    // One line per archive, each with its rows (the whole table) and its traffic through S3.
    const lines = out.split("\n").filter((l) => /^(old|new) +archive /.test(l));
    expect(lines).toHaveLength(4); // the run, then the medians
    for (const l of lines.slice(0, 2)) expect(l).toMatch(/CPU s\/GB csv .* rows 3,000 .*down +[\d.]+ MB, up +[\d.]+ MB/);
    expect(out).toMatch(/ratio of medians new\/old: archive seconds \d+\.\d\d/);
    expect(out).toMatch(/CPU s per GB csv \d+\.\d\d .*goal <= 0\.25/);
    // The old archive downloads plain CSV, the new one gzip parts: fewer bytes through the worker.
    const ratio = Number(/bytes through the worker (\d+\.\d\d)/.exec(out)![1]);
    expect(ratio).toBeGreaterThan(0);
    expect(ratio).toBeLessThan(1);
  }, 150_000);
});
