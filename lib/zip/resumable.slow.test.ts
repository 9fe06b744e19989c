// The resumable writer past ZIP64's thresholds, yielding after every part. Slow (a ~4.0 GiB archive
// in the temp folder, read back in full by unzip, its ZIP64 records and last entry by Python; 70,000 entries), so excluded from the
// default run: npx vitest run --config vitest.slow.config.mts lib/zip/resumable.slow.test.ts
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable, type Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { promisify } from "node:util";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createZipArchive, type ResumableZipCheckpoint, type ResumableZipEntry, type ResumableZipOptions, runResumableZip } from "./index";

const run = promisify(execFile);
const MiB = 2 ** 20;
const GiB = 2 ** 30;
const TIMEOUT = 600_000;
const MTIME = new Date("2024-05-06T07:08:09Z");
/** 1 MiB of random bytes, repeated to make big sources without holding them in memory. */
const BLOCK = randomBytes(MiB);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "zip-resumable-slow-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Source byte i is BLOCK[i mod 1 MiB]. */
function* repeated(start: number, end: number): Generator<Buffer> {
  for (let at = start; at < end; ) {
    const offset = at % MiB;
    const n = Math.min(MiB - offset, end - at);
    yield BLOCK.subarray(offset, offset + n);
    at += n;
  }
}

function bufferEntry(name: string, data: Buffer, extra: Partial<ResumableZipEntry> = {}): ResumableZipEntry {
  return { name, sourceBytes: data.length, openRange: async (a, b) => Readable.from([data.subarray(a, b)]), ...extra };
}

/** Runs with a yield after every part, each checkpoint through JSON; parts are kept as bytes or as copied ranges. */
async function runYielding(entries: ResumableZipEntry[], opts: ResumableZipOptions) {
  const parts = new Map<number, Buffer | { source: string; start: number; end: number }>();
  const sink = {
    uploadPart: async (n: number, body: Buffer) => void parts.set(n, Buffer.from(body)),
    copyPart: async (n: number, source: string, start: number, end: number) => void parts.set(n, { source, start, end }),
  };
  let checkpoint: ResumableZipCheckpoint | null = null;
  let largestCheckpoint = 0;
  let runs = 0;
  for (;;) {
    runs++;
    const outcome = await runResumableZip(entries, opts, sink, checkpoint, {
      saveCheckpoint: async (cp) => void (largestCheckpoint = Math.max(largestCheckpoint, JSON.stringify(cp).length)),
      shouldYield: () => true,
    });
    if (outcome.state === "done") return { result: outcome.result, parts, largestCheckpoint, runs };
    checkpoint = JSON.parse(JSON.stringify(outcome.checkpoint)) as ResumableZipCheckpoint;
  }
}

async function write(out: Writable, chunk: Buffer): Promise<void> {
  if (!out.write(chunk)) await new Promise((resolve) => out.once("drain", resolve));
}

describe("runResumableZip ZIP64", () => {
  it(
    "a 4 GiB + 8 MiB stored entry by copy parts, then entries past 4 GiB: unzip and Python read it, SHA-256 matches",
    async () => {
      const bigSize = 4 * GiB + 8 * MiB + 12_345;
      const csv = Buffer.from(Array.from({ length: 50_000 }, (_, i) => `${i},"Tulip ${i % 97}"`).join("\n") + "\n");
      const gz = zlib.gzipSync(csv);
      const entries: ResumableZipEntry[] = [
        { name: "big.parquet", sourceBytes: bigSize, store: true, copySource: "big", openRange: async (a, b) => Readable.from(repeated(a, b)) },
        bufferEntry("after.csv", csv, { countCsvRecords: true }),
        bufferEntry("after-gzip.csv", gz, { gzip: true, copySource: "gz", countCsvRecords: true }),
      ];
      const opts: ResumableZipOptions = { level: 1, mtime: MTIME, partBytes: 8 * MiB, minPartBytes: 5 * MiB, maxCopyBytes: 1 * GiB, copy: true };
      const { result, parts, runs } = await runYielding(entries, opts);
      expect(runs).toBe(result.parts);
      expect(result.bytesCopied).toBeGreaterThan(4 * GiB);
      expect(result.bytesUploaded).toBeLessThan(6 * MiB);
      const file = path.join(dir, "big.zip");
      const out = createWriteStream(file);
      const hash = createHash("sha256");
      for (let n = 1; n <= result.parts; n++) {
        const part = parts.get(n)!;
        const pieces = Buffer.isBuffer(part) ? [part] : part.source === "big" ? repeated(part.start, part.end) : [gz.subarray(part.start, part.end)];
        for (const piece of pieces) {
          hash.update(piece);
          await write(out, piece);
        }
      }
      out.end();
      await finished(out);
      expect(hash.digest("hex")).toBe(result.sha256);
      const { stdout } = await run("unzip", ["-tq", file], { maxBuffer: 1 << 24 });
      expect(stdout).toContain("No errors detected");
      // unzip -t read every entry and checked its CRC; Python reads the ZIP64 records (sizes, offsets) only.
      const script = `import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.open("after-gzip.csv").read().count(b"\\n") == 50000
print(json.dumps([[i.filename, i.file_size, i.header_offset] for i in z.infolist()]))`;
      const listed = JSON.parse((await run("python3", ["-c", script, file], { maxBuffer: 1 << 24 })).stdout) as [string, number, number][];
      expect(listed.map(([name, size]) => [name, size])).toEqual([
        ["big.parquet", bigSize],
        ["after.csv", csv.length],
        ["after-gzip.csv", csv.length],
      ]);
      expect(listed[1][2]).toBeGreaterThan(4 * GiB);
      expect(result.entries.map((e) => e.csvRecords)).toEqual([undefined, 50_000, 50_000]);
    },
    TIMEOUT,
  );

  it(
    "70,000 entries (ZIP64 end record), createZipArchive's bytes; checkpoint size at that count",
    async () => {
      const data = Array.from({ length: 70_000 }, (_, i) => Buffer.from(`${i},x\n`));
      const entries = data.map((d, i) => bufferEntry(`many/${i}.csv`, d, { countCsvRecords: true }));
      const opts: ResumableZipOptions = { level: 1, mtime: MTIME, partBytes: 1 * MiB, minPartBytes: 1 * MiB, maxCopyBytes: 2 * MiB, copy: false };
      const { result, parts, largestCheckpoint } = await runYielding(entries, opts);
      console.log(`70,000 entries: ${result.parts} parts, largest checkpoint ${largestCheckpoint} bytes`);
      const zip = Buffer.concat(Array.from({ length: result.parts }, (_, i) => parts.get(i + 1) as Buffer));
      const reference = createZipArchive(
        data.map((d, i) => ({ name: `many/${i}.csv`, countCsvRecords: true, open: async () => Readable.from([d]) })),
        { level: 1, mtime: MTIME },
      );
      const chunks: Buffer[] = [];
      for await (const chunk of reference.stream) chunks.push(chunk as Buffer);
      expect(zip.equals(Buffer.concat(chunks))).toBe(true);
      const file = path.join(dir, "many.zip");
      await writeFile(file, zip);
      const { stdout } = await run("unzip", ["-tq", file], { maxBuffer: 1 << 24 });
      expect(stdout).toContain("No errors detected");
      const count = await run("python3", ["-c", "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(len(z.infolist()))", file]);
      expect(count.stdout.trim()).toBe("70000");
    },
    TIMEOUT,
  );
});
