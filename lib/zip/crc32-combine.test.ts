import { randomBytes } from "node:crypto";
import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { crc32Combine } from "./crc32-combine";

describe("crc32Combine", () => {
  it("equals the CRC of the joined bytes, for empty, short and long second parts", () => {
    for (const [a, b] of [
      [0, 0],
      [3, 0],
      [0, 5],
      [3, 1],
      [3, 1000],
      [17, 65_537],
      [1, 1_000_003],
    ]) {
      const x = randomBytes(a);
      const y = randomBytes(b);
      expect(crc32Combine(zlib.crc32(x), zlib.crc32(y), y.length), `${a}+${b}`).toBe(zlib.crc32(Buffer.concat([x, y])));
    }
  });

  it("handles lengths past 4 GiB (zeros: crc32 of n zero bytes continues from a known value)", () => {
    // crc(A + B) with B = 2^32 + 5 zero bytes, checked against chaining the same zeros in chunks.
    const zeros = Buffer.alloc(1 << 24);
    let crcB = 0;
    const total = 2 ** 32 + 5;
    for (let done = 0; done < total; ) {
      const n = Math.min(zeros.length, total - done);
      crcB = zlib.crc32(zeros.subarray(0, n), crcB);
      done += n;
    }
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    let joined = zlib.crc32(bom);
    for (let done = 0; done < total; ) {
      const n = Math.min(zeros.length, total - done);
      joined = zlib.crc32(zeros.subarray(0, n), joined);
      done += n;
    }
    expect(crc32Combine(zlib.crc32(bom), crcB, total)).toBe(joined);
  }, 120_000);
});
