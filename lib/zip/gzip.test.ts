// Gzip parts re-framed into zip entries without recompression, read back by Info-ZIP and Python.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { quotedCsv } from "@/test/support/zip-fixtures";
import { gzipHeaderLength, storedDeflateBlock } from "./gzip";
import { createZipArchive, type ZipEntryInput } from "./index";

const run = promisify(execFile);
const MTIME = new Date("2024-05-06T07:08:09Z");
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
let dir: string;
let n = 0;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "zip-gzip-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const csv = (rows: number, seed = 1) => quotedCsv(rows, seed);

/** Gzip as the gzip CLI writes it (with the file name in the header, FNAME). */
async function gzipCli(data: Buffer): Promise<Buffer> {
  const file = path.join(dir, `part-${n++}.csv`);
  await writeFile(file, data);
  await run("gzip", ["-1", "-f", file]);
  return readFile(`${file}.gz`);
}

function entry(name: string, gz: Buffer, extra: Partial<ZipEntryInput> = {}, chunk = 65_536): ZipEntryInput {
  const chunks: Buffer[] = [];
  for (let at = 0; at < gz.length; at += chunk) chunks.push(gz.subarray(at, at + chunk));
  return { name, gzip: true, open: async () => Readable.from(chunks), ...extra };
}

async function write(entries: ZipEntryInput[], level = 1) {
  const file = path.join(dir, `a-${n++}.zip`);
  const zip = createZipArchive(entries, { level, mtime: MTIME });
  await pipeline(zip.stream, createWriteStream(file));
  return { file, result: await zip.result };
}

/** unzip -t, then Python's zipfile: testzip() and the SHA-256 of every entry's bytes. */
async function readBack(file: string): Promise<Record<string, { sha256: string; size: number; method: number }>> {
  await run("unzip", ["-tq", file]);
  const script = `import hashlib, json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
print(json.dumps({i.filename: dict(sha256=hashlib.sha256(z.read(i)).hexdigest(), size=i.file_size, method=i.compress_type) for i in z.infolist()}))`;
  const { stdout } = await run("python3", ["-c", script, file], { maxBuffer: 1 << 26 });
  return JSON.parse(stdout);
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("gzip parts re-framed as zip entries", () => {
  it("keeps each part's deflate data as it is, with the BOM as a stored block in front, and the true size and CRC", async () => {
    const big = csv(60_000); // several MB: many chunks and inflate outputs
    const small = csv(5, 2);
    const gzBig = zlib.gzipSync(big, { level: 1 });
    const gzSmall = await gzipCli(small);
    expect(gzipHeaderLength(gzSmall)).toBeGreaterThan(10); // the CLI's header carries the file name
    const gzEmpty = zlib.gzipSync(Buffer.alloc(0));
    const { file, result } = await write([
      entry("big.csv", gzBig, { prefix: BOM, countCsvRecords: true }, 100_001),
      entry("small.csv", gzSmall, { countCsvRecords: true }, 7),
      entry("empty.csv", gzEmpty, { countCsvRecords: true }),
    ]);
    const back = await readBack(file);
    expect(back["big.csv"]).toEqual({ sha256: sha(Buffer.concat([BOM, big])), size: big.length + 3, method: 8 });
    expect(back["small.csv"]).toEqual({ sha256: sha(small), size: small.length, method: 8 });
    expect(back["empty.csv"]).toEqual({ sha256: sha(Buffer.alloc(0)), size: 0, method: 8 });
    const [b, s, e] = result.entries;
    // Not recompressed: the entry holds the member's deflate bytes (plus the 8-byte stored BOM block).
    expect(b.compressedSize).toBe(gzBig.length - 10 - 8 + storedDeflateBlock(BOM).length);
    expect(s.compressedSize).toBe(gzSmall.length - gzipHeaderLength(gzSmall)! - 8);
    expect(b).toMatchObject({ size: big.length + 3, crc32: zlib.crc32(Buffer.concat([BOM, big])), inputBytes: gzBig.length, csvRecords: 60_001 });
    expect(s).toMatchObject({ crc32: zlib.crc32(small), inputBytes: gzSmall.length, csvRecords: 6 });
    expect(e).toMatchObject({ size: 0, csvRecords: 0 });
    const archive = await readFile(file);
    expect(archive.indexOf(gzBig.subarray(10, gzBig.length - 8))).toBeGreaterThan(0);
  });

  it("mixes with stored entries in a level-0 archive (a Parquet-style part stays stored)", async () => {
    const data = csv(100);
    const stored = Buffer.from("PAR1 not really parquet PAR1");
    const { file } = await write([entry("a.csv", zlib.gzipSync(data)), { name: "b.parquet", open: async () => Readable.from([stored]) }], 0);
    const back = await readBack(file);
    expect(back["a.csv"]).toMatchObject({ sha256: sha(data), method: 8 });
    expect(back["b.parquet"]).toMatchObject({ sha256: sha(stored), method: 0 });
  });

  it.each([
    ["a corrupt trailer CRC", (gz: Buffer) => Buffer.concat([gz.subarray(0, gz.length - 8), Buffer.alloc(4, 0xaa), gz.subarray(gz.length - 4)]), /trailer does not match/],
    ["a truncated part", (gz: Buffer) => gz.subarray(0, gz.length - 100), /trailer does not match|unexpected end|ends before/],
    ["two gzip members", (gz: Buffer) => Buffer.concat([gz, zlib.gzipSync(Buffer.from("more\n"))]), /trailer does not match|write after end/],
    ["a plain CSV", () => csv(10), /not a gzip stream/],
    ["a header cut short", (gz: Buffer) => gz.subarray(0, 6), /ends before its trailer/],
  ])("refuses %s", async (_what, damage, message) => {
    const gz = zlib.gzipSync(csv(3000));
    const zip = createZipArchive([entry("x.csv", damage(gz))], { level: 1, mtime: MTIME });
    const written = pipeline(zip.stream, createWriteStream(path.join(dir, `bad-${n++}.zip`)));
    await expect(written).rejects.toThrow(message);
    await expect(zip.result).rejects.toThrow(message);
  });
});
