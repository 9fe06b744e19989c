// The copy plan's arithmetic: chunk sizes within S3's bounds, and when an entry is worth copying.
import { describe, expect, it } from "vitest";
import { copyChunks, copyStart, effectivePartBytes } from "./resumable-plan";
import { S3_MAX_PART_BYTES, S3_MAX_PARTS, S3_MIN_PART_BYTES, type ResumableZipEntry, type ResumableZipOptions } from "./resumable-types";

const MiB = 1024 * 1024;
const opts = (minPartBytes: number, maxCopyBytes: number): ResumableZipOptions => ({
  level: 1,
  mtime: new Date(0),
  partBytes: minPartBytes,
  minPartBytes,
  maxCopyBytes,
  copy: true,
});

describe("copyChunks", () => {
  it("covers the range exactly, each chunk between maxCopyBytes / 2 and maxCopyBytes", () => {
    for (const length of [1, 5 * MiB, 5 * 1024 * MiB, 5 * 1024 * MiB + 1, 12_345_678_901, 200 * 1024 * MiB]) {
      const chunks = copyChunks(1000, 1000 + length, S3_MAX_PART_BYTES);
      expect(chunks[0][0]).toBe(1000);
      expect(chunks[chunks.length - 1][1]).toBe(1000 + length);
      chunks.forEach(([a, b], i) => {
        if (i > 0) expect(a).toBe(chunks[i - 1][1]);
        expect(b - a).toBeLessThanOrEqual(S3_MAX_PART_BYTES);
        if (chunks.length > 1) expect(b - a).toBeGreaterThanOrEqual(S3_MAX_PART_BYTES / 2);
      });
      expect(chunks.length).toBe(Math.ceil(length / S3_MAX_PART_BYTES));
    }
    expect(copyChunks(10, 10, 100)).toEqual([]);
  });

  it("splits a remainder evenly rather than leaving a short last chunk", () => {
    expect(copyChunks(0, 101, 100)).toEqual([
      [0, 51],
      [51, 101],
    ]);
  });
});

describe("copyStart", () => {
  const o = opts(S3_MIN_PART_BYTES, S3_MAX_PART_BYTES);
  it("tops the part being filled up to minPartBytes from the data's start", () => {
    expect(copyStart(1000, 20, 100 * MiB, o)).toBe(20 + S3_MIN_PART_BYTES - 1000);
  });
  it("copies from the data's start when the part is already full enough", () => {
    expect(copyStart(S3_MIN_PART_BYTES + 5, 20, 100 * MiB, o)).toBe(20);
  });
  it("does not copy when less than one part would be left to copy", () => {
    expect(copyStart(1000, 20, 20 + 2 * S3_MIN_PART_BYTES - 1001, o)).toBeNull();
    expect(copyStart(1000, 20, 20 + 2 * S3_MIN_PART_BYTES - 1000, o)).toBe(20 + S3_MIN_PART_BYTES - 1000);
  });
});

describe("effectivePartBytes", () => {
  const entry = (sourceBytes: number, extra: Partial<ResumableZipEntry> = {}): ResumableZipEntry => ({
    name: "part.csv",
    sourceBytes,
    openRange: () => Promise.reject(new Error("not read")),
    ...extra,
  });
  const base = { ...opts(S3_MIN_PART_BYTES, S3_MAX_PART_BYTES), partBytes: 16 * MiB };
  const GB = 1e9;

  it("keeps partBytes while the archive surely fits in 10,000 parts", () => {
    expect(effectivePartBytes([entry(100 * GB)], [8], base)).toBe(16 * MiB);
  });

  it("grows it, to whole MiB, for 200 GB of plain CSV (10,000 x 16 MiB is 168 GB)", () => {
    const entries = Array.from({ length: 400 }, () => entry(0.5 * GB));
    const grown = effectivePartBytes(entries, entries.map(() => 8), base);
    expect(grown % MiB).toBe(0);
    expect(grown).toBeGreaterThan(16 * MiB);
    // What the bound allows for: the whole input once (deflate's worst case is barely more).
    expect(Math.ceil((200 * GB) / grown) + 1).toBeLessThanOrEqual(S3_MAX_PARTS);
    expect(grown).toBeLessThan(21 * MiB);
  });

  it("counts copied entries as one fill and their copy parts", () => {
    const copied = Array.from({ length: 40 }, () => entry(6 * GB, { gzip: true, copySource: "b/k" }));
    const o = { ...base, copy: true, maxCopyBytes: 1024 * MiB };
    expect(effectivePartBytes(copied, copied.map(() => 8), o)).toBe(16 * MiB);
    expect(() => effectivePartBytes(copied, copied.map(() => 8), { ...o, maxCopyBytes: 16 * MiB })).toThrow(/raise maxCopyBytes/);
  });
});
