import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { countCsvBlock, CsvRecordCounter } from "./csv-count";

/** The obvious byte-by-byte reading, to check the wasm SIMD one against. */
function referenceBlock(bytes: Buffer) {
  let inQuotes = false;
  let newlinesOutside = 0;
  let newlines = 0;
  let quotes = 0;
  for (const b of bytes) {
    if (b === 0x22) {
      quotes++;
      inQuotes = !inQuotes;
    } else if (b === 0x0a) {
      newlines++;
      if (!inQuotes) newlinesOutside++;
    }
  }
  return { newlinesOutside, newlines, quotes };
}

/** Records of a whole stream: newlines outside quotes, plus a last line without one. */
function referenceRecords(bytes: Buffer): number {
  const { newlinesOutside } = referenceBlock(bytes);
  return newlinesOutside + (bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a ? 1 : 0);
}

function countInBlocks(bytes: Buffer, cuts: number[]): number {
  const counter = new CsvRecordCounter();
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    const block = bytes.subarray(at, Math.max(at, cut));
    counter.add(countCsvBlock(block), block);
    at = Math.max(at, cut);
  }
  return counter.records;
}

/** CSV-ish text: the bytes that matter (quote, LF, CR, comma) often, plus some other ones. */
const csvBytes = fc
  .array(fc.constantFrom(0x22, 0x0a, 0x0d, 0x2c, 0x61, 0x62, 0x20, 0xc3, 0xa9), { maxLength: 400 })
  .map((b) => Buffer.from(b));
/** The same, 60 to 400 bytes: across one or more of the wasm counter's 64-byte steps (fast-check keeps arrays short by default). */
const longCsvBytes = fc
  .array(fc.constantFrom(0x22, 0x0a, 0x0d, 0x2c, 0x61, 0x62, 0x20, 0xc3, 0xa9), { minLength: 60, maxLength: 400 })
  .map((b) => Buffer.from(b));

describe("countCsvBlock", () => {
  it("counts a block as the byte-by-byte reading does (property)", () => {
    fc.assert(
      fc.property(fc.oneof(csvBytes, longCsvBytes), (bytes) => {
        expect(countCsvBlock(bytes)).toEqual(referenceBlock(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it("gives the same records whatever the block boundaries, empty blocks included (property)", () => {
    fc.assert(
      fc.property(
        csvBytes.chain((bytes) => fc.tuple(fc.constant(bytes), fc.array(fc.nat({ max: bytes.length }), { maxLength: 12 }).map((c) => c.sort((a, b) => a - b)))),
        ([bytes, cuts]) => {
          expect(countInBlocks(bytes, cuts)).toBe(referenceRecords(bytes));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("counts quoted fields with commas, escaped quotes and embedded newlines", () => {
    const csv = Buffer.from('id,name\n1,"Rose, red"\n2,"say ""hi""\nsecond line"\n3,plain\n');
    expect(countCsvBlock(csv)).toEqual({ newlinesOutside: 4, newlines: 5, quotes: 8 });
    expect(countInBlocks(csv, [])).toBe(4);
  });

  it("reads CRLF line ends as one boundary each (the CR belongs to the record)", () => {
    const csv = Buffer.from('a,b\r\n1,"x\r\ny"\r\n2,z\r\n');
    expect(countInBlocks(csv, [])).toBe(3);
    // Cut between every CR and LF.
    const cuts = [...csv.keys()].filter((i) => csv[i] === 0x0a);
    expect(countInBlocks(csv, cuts)).toBe(3);
  });

  it("follows a quoted field across block boundaries, cut anywhere", () => {
    const csv = Buffer.from('h\n"one\ntwo\nthree"\n"a""b"\nlast');
    for (let a = 0; a <= csv.length; a++) {
      for (let b = a; b <= csv.length; b++) expect(countInBlocks(csv, [a, b]), `cut at ${a}, ${b}`).toBe(4);
    }
  });

  it("counts a last record without a newline, and nothing for no bytes", () => {
    expect(countInBlocks(Buffer.from("a\nb"), [])).toBe(2);
    expect(countInBlocks(Buffer.from("a\nb\n"), [])).toBe(2);
    expect(countInBlocks(Buffer.alloc(0), [])).toBe(0);
    expect(countInBlocks(Buffer.from("a\nb"), [3, 3, 3])).toBe(2); // empty blocks after the last byte
    expect(countCsvBlock(Buffer.alloc(0))).toEqual({ newlinesOutside: 0, newlines: 0, quotes: 0 });
  });

  it("carries the quote state across its 64-byte SIMD steps and its 1 MiB copies into wasm memory", () => {
    // A quoted field with a newline straddling each step boundary, at every offset around it.
    for (let at = 56; at <= 72; at++) {
      const bytes = Buffer.alloc(200, 0x61);
      bytes[at] = 0x22;
      bytes[at + 3] = 0x0a;
      bytes[at + 5] = 0x22;
      bytes[at + 7] = 0x0a;
      bytes[130] = 0x0a;
      expect(countCsvBlock(bytes), `quote at ${at}`).toEqual(referenceBlock(bytes));
    }
    // 2.5 MiB of CSV-ish bytes: three copies into wasm memory, a field left open across each cut.
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const alphabet = [0x22, 0x0a, 0x2c, 0x61, 0x61, 0x61, 0x62, 0x20, 0x0d];
    const big = Buffer.alloc(2.5 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = alphabet[random() % alphabet.length];
    big[1024 * 1024 - 1] = 0x22; // a quote as the last byte of the first copy
    big[1024 * 1024] = 0x0a; // a newline as the first byte of the second
    expect(countCsvBlock(big)).toEqual(referenceBlock(big));
    for (const length of [63, 64, 65, 127, 128, 1024 * 1024, 1024 * 1024 + 1]) {
      expect(countCsvBlock(big.subarray(0, length)), `length ${length}`).toEqual(referenceBlock(big.subarray(0, length)));
    }
  });

  it("handles blocks with no quotes, only quotes, or a quote left open at the end", () => {
    expect(countCsvBlock(Buffer.from("a\nb\nc\n"))).toEqual({ newlinesOutside: 3, newlines: 3, quotes: 0 });
    expect(countCsvBlock(Buffer.from('""""'))).toEqual({ newlinesOutside: 0, newlines: 0, quotes: 4 });
    expect(countCsvBlock(Buffer.from('a\n"b\nc\n'))).toEqual({ newlinesOutside: 1, newlines: 3, quotes: 1 });
  });
});
