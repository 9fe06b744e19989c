// ZIP64 past 4 GiB, checked by `unzip -t` and Python's zipfile. Slow (one ~4.1 GB archive in the
// temp folder, read back in full by both readers), so excluded from the default run:
//   npx vitest run -c package.json lib/zip/archive.slow.test.ts
// (`-c package.json` = "no vitest config": the project config excludes *.slow.test.ts.)
//
// One archive covers every ZIP64 form, because each 4 GiB written and CRC-checked by `unzip -t`
// costs ~20 s: a head entry over 4 GiB (64-bit sizes: central ZIP64 extra with both sizes, 64-bit
// data descriptor), two spooled entries that start past 4 GiB with 32-bit sizes (ZIP64 extra with
// the offset only), and the ZIP64 end record + locator (central directory past 4 GiB).
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, open, readdir, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createZipArchive, type ZipEntryInput, type ZipResult } from "./index";

const run = promisify(execFile);
const GiB = 2 ** 30;
const MiB = 2 ** 20;
const TIMEOUT = 300_000;
/** 1 MiB of random bytes, repeated to make big inputs without holding them in memory. */
const BLOCK = randomBytes(MiB);

/** testzip() reads every byte and checks every CRC; then the listing, and SHA-256 of the entries named after the file. */
const PYTHON_CHECK = `
import hashlib, json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    bad = z.testzip()
    entries = []
    for i in z.infolist():
        digest = None
        if i.filename in sys.argv[2:]:
            digest = hashlib.sha256(z.read(i)).hexdigest()
        entries.append(dict(name=i.filename, size=i.file_size, compressedSize=i.compress_size, crc32=i.CRC,
            offset=i.header_offset, version=i.extract_version, extra=i.extra.hex(), sha256=digest))
print(json.dumps(dict(bad=bad, entries=entries)))
`;

interface PythonEntry {
  name: string;
  size: number;
  compressedSize: number;
  crc32: number;
  offset: number;
  version: number;
  extra: string;
  sha256: string | null;
}

let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), "zip-writer-slow-"));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

/** `size` bytes of BLOCK repeated, produced on demand: the writer cannot know the size up front. */
function repeatedBlocks(size: number): Readable {
  let left = size;
  return new Readable({
    highWaterMark: MiB,
    read() {
      if (left === 0) return void this.push(null);
      const n = Math.min(left, BLOCK.length);
      left -= n;
      this.push(n === BLOCK.length ? BLOCK : BLOCK.subarray(0, n));
    },
  });
}

function crcOfRepeatedBlocks(size: number): number {
  let crc = 0;
  for (let left = size; left > 0; left -= BLOCK.length) crc = zlib.crc32(BLOCK.subarray(0, Math.min(left, BLOCK.length)), crc);
  return crc;
}

async function writeZip(name: string, entries: ZipEntryInput[]): Promise<{ file: string; result: ZipResult }> {
  const file = path.join(workDir, name);
  const zip = createZipArchive(entries, { level: 0, mtime: new Date("2024-05-06T07:08:09Z") });
  await pipeline(zip.stream, createWriteStream(file));
  return { file, result: await zip.result };
}

/** Runs both readers at once (two cores); each reads every byte and checks every CRC. */
async function verify(file: string, hashNames: string[] = []): Promise<PythonEntry[]> {
  const [unzip, python] = await Promise.all([
    run("unzip", ["-tq", file]),
    run("python3", ["-c", PYTHON_CHECK, file, ...hashNames], { maxBuffer: 16 << 20 }),
  ]);
  expect(unzip.stdout).toContain("No errors detected in compressed data");
  const parsed = JSON.parse(python.stdout) as { bad: string | null; entries: PythonEntry[] };
  expect(parsed.bad).toBeNull();
  return parsed.entries;
}

async function readAt(file: string, position: number, length: number): Promise<Buffer> {
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, position);
    return buffer;
  } finally {
    await handle.close();
  }
}

/** The ZIP64 end of central directory record, found through its locator. */
async function zip64EndRecord(file: string, fileSize: number) {
  const tail = await readAt(file, fileSize - 42, 42);
  expect(tail.readUInt32LE(0)).toBe(0x07064b50);
  const recordOffset = Number(tail.readBigUInt64LE(8));
  const record = await readAt(file, recordOffset, 56);
  expect(record.readUInt32LE(0)).toBe(0x06064b50);
  return { entries: Number(record.readBigUInt64LE(32)), cdSize: Number(record.readBigUInt64LE(40)), cdOffset: Number(record.readBigUInt64LE(48)) };
}

function hexUInt64LE(value: number): string {
  const buffer = Buffer.alloc(8);
  buffer.writeBigUInt64LE(BigInt(value));
  return buffer.toString("hex");
}

describe("zip-writer past 4 GiB", () => {
  const bigSize = 4 * GiB + MiB + 7;
  const middleSize = 64 * MiB;
  const tail = Buffer.from("id,name\n1,Tulip\n2,Rose\n");
  let file: string;
  let fileSize: number;
  let result: ZipResult;
  let entries: PythonEntry[];

  let rssGrowth = 0;

  beforeAll(async () => {
    const rssBefore = process.memoryUsage.rss();
    const sampler = setInterval(() => (rssGrowth = Math.max(rssGrowth, process.memoryUsage.rss() - rssBefore)), 50);
    ({ file, result } = await writeZip(
      "big.zip",
      [
        { name: "big.bin", open: async () => repeatedBlocks(bigSize) }, // streamed straight into the output
        { name: "middle.bin", open: async () => repeatedBlocks(middleSize) },
        { name: "tail.csv", open: async () => Readable.from([tail]) },
      ],
    ).finally(() => clearInterval(sampler)));
    fileSize = (await stat(file)).size;
    entries = await verify(file, ["tail.csv"]);
  }, TIMEOUT);

  it("keeps memory flat while writing 4 GiB", () => {
    expect(rssGrowth).toBeLessThan(128 * MiB);
  });

  it("writes a stored entry over 4 GiB whose size was not known in advance", async () => {
    expect(result.bytes).toBe(fileSize);
    const crc = crcOfRepeatedBlocks(bigSize);
    expect(result.entries[0]).toEqual({ name: "big.bin", size: bigSize, compressedSize: bigSize, crc32: crc, inputBytes: bigSize });
    const [big] = entries;
    expect(big).toMatchObject({ name: "big.bin", size: bigSize, compressedSize: bigSize, crc32: crc, offset: 0, version: 45 });
    // Central ZIP64 extra: id 1, 16 bytes, original size then compressed size (no offset: it is 0).
    expect(big.extra.startsWith(`01001000${hexUInt64LE(bigSize)}${hexUInt64LE(bigSize)}`)).toBe(true);
    // The data descriptor after the data has 64-bit sizes.
    const localHeaderLength = 30 + "big.bin".length + 9;
    const descriptor = await readAt(file, localHeaderLength + bigSize, 24);
    expect(descriptor.readUInt32LE(0)).toBe(0x08074b50);
    expect(descriptor.readUInt32LE(4)).toBe(crc);
    expect(Number(descriptor.readBigUInt64LE(8))).toBe(bigSize);
    expect(Number(descriptor.readBigUInt64LE(16))).toBe(bigSize);
  });

  it("writes entries that start past 4 GiB with offset-only ZIP64 extras, and a ZIP64 end record", async () => {
    expect(entries.map((e) => e.name)).toEqual(["big.bin", "middle.bin", "tail.csv"]);
    const [, middle, last] = entries;
    expect(middle).toMatchObject({ size: middleSize, compressedSize: middleSize, crc32: crcOfRepeatedBlocks(middleSize), version: 45 });
    expect(last).toMatchObject({ size: tail.length, crc32: zlib.crc32(tail), version: 45 });
    expect(last.sha256).toBe(createHash("sha256").update(tail).digest("hex"));
    for (const entry of [middle, last]) {
      expect(entry.offset).toBeGreaterThan(0xffffffff);
      // Central ZIP64 extra: id 1, 8 bytes, the local header offset only (sizes fit in 32 bits).
      expect(entry.extra.startsWith(`01000800${hexUInt64LE(entry.offset)}`)).toBe(true);
    }
    // The small entries' data descriptors keep 32-bit sizes.
    const descriptor = await readAt(file, last.offset + 30 + "tail.csv".length + 9 + tail.length, 16);
    expect(descriptor.readUInt32LE(0)).toBe(0x08074b50);
    expect(descriptor.readUInt32LE(12)).toBe(tail.length);

    const end = await zip64EndRecord(file, fileSize);
    expect(end.entries).toBe(3);
    expect(end.cdOffset).toBeGreaterThan(0xffffffff);
    expect(end.cdOffset + end.cdSize).toBe(fileSize - 56 - 20 - 22);
  });
});
