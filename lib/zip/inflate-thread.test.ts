import zlib from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { countCsvBlock, csvRecordsOf } from "./csv-count";
import { OffThreadInflate } from "./inflate-thread";

function csv(rows: number): Buffer {
  const lines = ["id,name,note"];
  for (let i = 0; i < rows; i++) lines.push(`${i},"Rose ${i % 7}, red",${i % 13 === 0 ? `"two\nlines ""q"""` : i}`);
  return Buffer.from(lines.join("\n") + "\n");
}

async function inflateInPieces(deflated: Buffer, cuts: number[], count = true, stream = false) {
  const pass = new OffThreadInflate("part.csv", count, { stream });
  let at = 0;
  for (const cut of [...cuts, deflated.length]) {
    await pass.write(deflated.subarray(at, Math.max(at, cut)));
    at = Math.max(at, cut);
  }
  return pass.end();
}

describe("OffThreadInflate on this Node", () => {
  it("drives zlib's handle into the wasm counter's memory (the fast path), not the stream fallback", async () => {
    const plain = csv(20_000);
    expect(await inflateInPieces(zlib.deflateRawSync(plain), [5000])).toMatchObject({ via: "handle", size: plain.length });
    expect(await inflateInPieces(zlib.deflateRawSync(plain), [5000], true, true)).toMatchObject({ via: "stream", size: plain.length });
  });
});

describe.each([
  ["zlib's handle", false],
  ["the stream fallback", true],
] as const)("OffThreadInflate through %s", (_, stream) => {
  const via = stream ? "stream" : "handle";
  it("returns the inflated size, CRC, last byte and the CSV count of the whole stream", async () => {
    const plain = csv(60_000); // a few MB: many output chunks, the count chained across them
    const totals = await inflateInPieces(zlib.deflateRawSync(plain), [1, 100, 70_000, 70_001, 1_000_000], true, stream);
    expect(totals).toEqual({ crc32: zlib.crc32(plain), size: plain.length, count: countCsvBlock(plain), lastByte: 0x0a, trailing: false, via });
    expect(csvRecordsOf(totals.count!, totals.lastByte)).toBe(60_001);
  });

  it("matches a one-block count for any CSV-ish text and any cuts of its deflate data (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(0x22, 0x0a, 0x0d, 0x2c, 0x61), { maxLength: 3000 }).map((b) => Buffer.from(b)),
        fc.array(fc.nat({ max: 2000 }), { maxLength: 6 }),
        async (plain, cuts) => {
          const totals = await inflateInPieces(zlib.deflateRawSync(plain, { level: 1 }), cuts.sort((a, b) => a - b), true, stream);
          expect(totals.count).toEqual(countCsvBlock(plain));
          expect(totals.size).toBe(plain.length);
          expect(totals.lastByte).toBe(plain.length === 0 ? -1 : plain[plain.length - 1]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("leaves the count out when not asked, and reads an empty stream as no bytes", async () => {
    expect(await inflateInPieces(zlib.deflateRawSync(csv(10)), [], false, stream)).toMatchObject({ count: null, size: csv(10).length });
    expect(await inflateInPieces(zlib.deflateRawSync(Buffer.alloc(0)), [], true, stream)).toEqual({
      crc32: 0,
      size: 0,
      count: { newlinesOutside: 0, newlines: 0, quotes: 0 },
      lastByte: -1,
      trailing: false,
      via,
    });
  });

  it("reports bytes after the end of the deflate stream as trailing, in the same piece or in many later ones, without hanging", async () => {
    const deflated = zlib.deflateRawSync(csv(100));
    const junk = zlib.gzipSync(Buffer.from("a second member\n"));
    expect((await inflateInPieces(Buffer.concat([deflated, junk]), [], true, stream)).trailing).toBe(true);
    // The stream ends exactly where a write ends: the next write is all trailing.
    expect((await inflateInPieces(Buffer.concat([deflated, junk]), [deflated.length], true, stream)).trailing).toBe(true);
    const pass = new OffThreadInflate("part.csv", true, { stream });
    await pass.write(deflated);
    for (let i = 0; i < 20; i++) await pass.write(junk);
    const totals = await pass.end();
    expect(totals.trailing).toBe(true);
    expect(totals.size).toBe(csv(100).length);
  });

  it("fails with the entry's name on data that does not inflate", async () => {
    const bad = Buffer.from(zlib.deflateRawSync(csv(2000)));
    bad[0] = 0b110; // BTYPE 11: a reserved block type
    await expect(inflateInPieces(bad, [150], true, stream)).rejects.toThrow(/^part\.csv: the gzip data does not inflate \(invalid block type\)/);
  });

  it("fails on deflate data cut short, and the thread goes on serving other passes", async () => {
    const deflated = zlib.deflateRawSync(csv(5000));
    await expect(inflateInPieces(deflated.subarray(0, deflated.length - 10), [], true, stream)).rejects.toThrow(/^part\.csv: the gzip data does not inflate \(unexpected end of file\)/);
    expect((await inflateInPieces(deflated, [], true, stream)).size).toBe(csv(5000).length);
  });

  it("can be destroyed part way: end() rejects, and the next pass works", async () => {
    const deflated = zlib.deflateRawSync(csv(5000));
    const pass = new OffThreadInflate("cut.csv", true, { stream });
    await pass.write(deflated.subarray(0, 1000));
    pass.destroy();
    await expect(pass.end()).rejects.toThrow(/cut\.csv: inflate closed before the end/);
    await expect(pass.write(deflated.subarray(1000))).rejects.toThrow(/inflate closed/);
    expect((await inflateInPieces(deflated, [], true, stream)).size).toBe(csv(5000).length);
  });
});
