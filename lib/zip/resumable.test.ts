// The resumable zip writer: parts assembled in order equal an uninterrupted run (and createZipArchive), whatever the yields and crashes.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { quotedCsv } from "@/test/support/zip-fixtures";
import {
  createZipArchive,
  type ResumableZipCheckpoint,
  type ResumableZipEntry,
  type ResumableZipOptions,
  type ResumableZipResult,
  runResumableZip,
  S3_MAX_PART_BYTES,
  ZipCheckpointMismatchError,
  type ZipEntryInput,
} from "./index";

const run = promisify(execFile);
const MTIME = new Date("2024-05-06T07:08:09Z");
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const KiB = 1024;
const MiB = 1024 * KiB;
let dir: string;
let fileCounter = 0;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "zip-resumable-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const csv = (rows: number, seed = 1) => quotedCsv(rows, seed, 100_000);

/** Bytes that do not compress (a Parquet file, as far as deflate can tell): xorshift32. */
function noise(length: number, seed = 7): Buffer {
  const out = Buffer.alloc(length);
  let x = seed | 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

interface Fixture {
  name: string;
  /** The source object's bytes. */
  source: Buffer;
  /** What the entry must unzip to. */
  content: Buffer;
  entry: ResumableZipEntry;
}

/** An entry whose ranges come back in 100 KB chunks (not aligned to anything the writer uses). */
function fixture(name: string, source: Buffer, content: Buffer, extra: Partial<ResumableZipEntry> = {}): Fixture {
  const entry: ResumableZipEntry = {
    name,
    sourceBytes: source.length,
    openRange: async (start, end) => {
      if (start < 0 || end > source.length || start >= end) throw new Error(`bad range [${start}, ${end}) of ${name}`);
      const chunks: Buffer[] = [];
      for (let at = start; at < end; at += 100_000) chunks.push(source.subarray(at, Math.min(end, at + 100_000)));
      return Readable.from(chunks);
    },
    copySource: `bucket/${name}`,
    ...extra,
  };
  return { name, source, content, entry };
}

const plain = (name: string, data: Buffer, extra: Partial<ResumableZipEntry> = {}) =>
  fixture(name, data, Buffer.concat([extra.prefix ?? Buffer.alloc(0), data]), extra);
const gzipped = (name: string, data: Buffer, extra: Partial<ResumableZipEntry> = {}) =>
  fixture(name, zlib.gzipSync(data, { level: 1 }), Buffer.concat([extra.prefix ?? Buffer.alloc(0), data]), { gzip: true, ...extra });

/** A multipart upload in memory: parts by number; copy parts slice the named source. */
class MemorySink {
  readonly parts = new Map<number, Buffer>();
  readonly calls: string[] = [];
  constructor(private readonly sources: Map<string, Buffer>) {}

  async uploadPart(partNumber: number, body: Buffer): Promise<void> {
    this.calls.push(`upload ${partNumber}`);
    this.parts.set(partNumber, Buffer.from(body));
  }

  async copyPart(partNumber: number, copySource: string, start: number, end: number): Promise<void> {
    this.calls.push(`copy ${partNumber}`);
    const source = this.sources.get(copySource);
    if (!source) throw new Error(`no such copy source ${copySource}`);
    if (end - start > S3_MAX_PART_BYTES) throw new Error("copy part over 5 GiB");
    this.parts.set(partNumber, Buffer.from(source.subarray(start, end)));
  }

  /** The completed object: parts 1..n, none missing, none past n. */
  assemble(parts: number): Buffer {
    const numbers = [...this.parts.keys()].sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: parts }, (_, i) => i + 1));
    return Buffer.concat(numbers.map((n) => this.parts.get(n)!));
  }
}

function sinkFor(fixtures: Fixture[]): MemorySink {
  return new MemorySink(new Map(fixtures.map((f) => [f.entry.copySource ?? f.name, f.source])));
}

function options(overrides: Partial<ResumableZipOptions> = {}): ResumableZipOptions {
  return { level: 1, mtime: MTIME, partBytes: 64 * KiB, minPartBytes: 64 * KiB, maxCopyBytes: 256 * KiB, copy: false, ...overrides };
}

const roundTrip = (cp: ResumableZipCheckpoint) => JSON.parse(JSON.stringify(cp)) as ResumableZipCheckpoint;

/** Runs to the end; `yieldAlways` yields at every safe point and resumes from the JSON of each checkpoint. */
async function runAll(fixtures: Fixture[], opts: ResumableZipOptions, yieldAlways = false) {
  const sink = sinkFor(fixtures);
  const saved: ResumableZipCheckpoint[] = [];
  let checkpoint: ResumableZipCheckpoint | null = null;
  let runs = 0;
  for (;;) {
    runs++;
    const outcome = await runResumableZip(fixtures.map((f) => f.entry), opts, sink, checkpoint, {
      saveCheckpoint: async (cp) => void saved.push(roundTrip(cp)),
      shouldYield: () => yieldAlways,
    });
    if (outcome.state === "done") return { result: outcome.result, zip: sink.assemble(outcome.result.parts), sink, saved, runs };
    expect(outcome.checkpoint).toEqual(saved[saved.length - 1]);
    checkpoint = roundTrip(outcome.checkpoint);
  }
}

/** What createZipArchive writes for the same entries (whole sources as streams). */
async function referenceZip(fixtures: Fixture[], level: number): Promise<Buffer> {
  const inputs: ZipEntryInput[] = fixtures.map((f) => ({
    name: f.name,
    prefix: f.entry.prefix,
    gzip: f.entry.gzip,
    countCsvRecords: f.entry.countCsvRecords,
    open: async () => Readable.from([f.source]),
  }));
  const zip = createZipArchive(inputs, { level, mtime: MTIME });
  const chunks: Buffer[] = [];
  for await (const chunk of zip.stream) chunks.push(chunk as Buffer);
  await zip.result;
  return Buffer.concat(chunks);
}

/** unzip -t, then Python's zipfile: testzip() and every entry's SHA-256, which must be its content's. */
async function expectReadable(zip: Buffer, fixtures: Fixture[]): Promise<void> {
  const file = path.join(dir, `r-${++fileCounter}.zip`);
  await writeFile(file, zip);
  const { stdout: unzipOut } = await run("unzip", ["-tq", file], { maxBuffer: 1 << 26 });
  expect(unzipOut).toContain("No errors detected");
  const script = `import hashlib, json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
print(json.dumps([[i.filename, hashlib.sha256(z.read(i)).hexdigest()] for i in z.infolist()]))`;
  const { stdout } = await run("python3", ["-c", script, file], { maxBuffer: 1 << 26 });
  expect(JSON.parse(stdout)).toEqual(fixtures.map((f) => [f.name, sha(f.content)]));
}

function expectEntries(result: ResumableZipResult, fixtures: Fixture[]): void {
  expect(result.entries.map((e) => [e.name, e.size, e.crc32, e.inputBytes])).toEqual(
    fixtures.map((f) => [f.name, f.content.length, zlib.crc32(f.content), f.source.length]),
  );
}

/** Every part but the last is at least minPartBytes, none over 5 GiB. */
function expectPartSizes(sink: MemorySink, parts: number, opts: ResumableZipOptions): void {
  for (let n = 1; n <= parts; n++) {
    const size = sink.parts.get(n)!.length;
    if (n < parts) expect(size, `part ${n}`).toBeGreaterThanOrEqual(opts.minPartBytes);
    expect(size).toBeLessThanOrEqual(S3_MAX_PART_BYTES);
  }
}

/** The mix: plain CSV with BOM (counted), gzip CSV with BOM over and under a part, stored noise, empty entries, many small ones. */
function mix(): Fixture[] {
  const small = Array.from({ length: 30 }, (_, i) => plain(`small/${i}.csv`, csv(i * 3, i), { countCsvRecords: true }));
  return [
    plain("plain.csv", csv(60_000, 1), { prefix: BOM, countCsvRecords: true }),
    gzipped("gzip-big.csv", csv(50_000, 2), { prefix: BOM, countCsvRecords: true }),
    gzipped("gzip-tiny.csv", csv(3, 3), { prefix: BOM, countCsvRecords: true }),
    gzipped("gzip-noise.bin", noise(1_300_000, 4)),
    plain("stored.parquet", noise(1_200_000, 5), { store: true }),
    plain("empty.csv", Buffer.alloc(0), { prefix: BOM, countCsvRecords: true }),
    gzipped("empty-gzip.csv", Buffer.alloc(0), { countCsvRecords: true }),
    ...small,
  ];
}

function withoutStore(fixtures: Fixture[]): Fixture[] {
  return fixtures.map((f) => (f.entry.store ? { ...f, entry: { ...f.entry, store: false } } : f));
}

describe("runResumableZip, uninterrupted", () => {
  it("writes createZipArchive's bytes (copy off), readable by unzip and Python, with the right counts", async () => {
    const fixtures = withoutStore(mix());
    const { result, zip, sink } = await runAll(fixtures, options());
    expect(zip.equals(await referenceZip(fixtures, 1))).toBe(true);
    expect(result.bytes).toBe(zip.length);
    expect(result.sha256).toBe(sha(zip));
    expect(result.bytesUploaded).toBe(zip.length);
    expect(result.bytesCopied).toBe(0);
    expect(result.bytesRead).toBe(fixtures.reduce((n, f) => n + f.source.length, 0));
    expectEntries(result, fixtures);
    const records = (name: string) => result.entries.find((e) => e.name === name)!.csvRecords;
    expect(records("plain.csv")).toBe(60_001);
    expect(records("gzip-big.csv")).toBe(50_001);
    expect(records("gzip-tiny.csv")).toBe(4);
    expect(records("empty.csv")).toBe(0);
    expect(records("empty-gzip.csv")).toBe(0);
    expect(records("small/2.csv")).toBe(7);
    expectPartSizes(sink, result.parts, options());
    await expectReadable(zip, fixtures);
  });

  it("an archive of no entries is one part, the bare end record, as createZipArchive writes it", async () => {
    const { result, zip } = await runAll([], options());
    expect(result.parts).toBe(1);
    expect(zip.equals(await referenceZip([], 1))).toBe(true);
    expect(zip.length).toBe(22);
  });

  it("tells onInput every source byte it reads, re-reads included", async () => {
    const fixtures = mix().slice(0, 4);
    let told = 0;
    const { result } = await runAll(fixtures, options({ copy: true, onInput: (n) => (told += n) }), true);
    expect(told).toBe(result.bytesRead);
    expect(told).toBeGreaterThan(fixtures.reduce((n, f) => n + f.source.length, 0));
  });

  it("level 0 writes createZipArchive's stored archive; `store` stores one entry in a deflated archive", async () => {
    const fixtures = withoutStore(mix()).slice(0, 8);
    const stored = await runAll(fixtures, options({ level: 0 }));
    expect(stored.zip.equals(await referenceZip(fixtures, 0))).toBe(true);
    const mixed = mix().slice(0, 8);
    const { zip, result } = await runAll(mixed, options());
    await expectReadable(zip, mixed);
    expect(result.entries[4]).toMatchObject({ name: "stored.parquet", compressedSize: 1_200_000, size: 1_200_000 });
  });

  it("copy on: the same bytes, the bulk of long gzip and stored entries placed by copy parts", async () => {
    const fixtures = mix();
    const opts = options({ copy: true });
    const copied = await runAll(fixtures, opts);
    const uploadedOnly = await runAll(fixtures, options());
    expect(copied.zip.equals(uploadedOnly.zip)).toBe(true);
    expect(copied.result.sha256).toBe(sha(copied.zip));
    expect(copied.result.bytesCopied).toBeGreaterThan(0);
    expect(copied.result.bytesUploaded + copied.result.bytesCopied).toBe(copied.zip.length);
    expect(copied.sink.calls.filter((c) => c.startsWith("copy")).length).toBeGreaterThan(4);
    expectPartSizes(copied.sink, copied.result.parts, opts);
    await expectReadable(copied.zip, fixtures);
  });

  it("where copy pays: 3 gzip entries of 3 MiB, minPartBytes 256 KiB: a small fraction goes through the writer", async () => {
    const fixtures = [1, 2, 3].map((i) => gzipped(`part-${i}.csv`, noise(3 * MiB, i), { prefix: BOM, countCsvRecords: false }));
    const opts = options({ copy: true, partBytes: 256 * KiB, minPartBytes: 256 * KiB, maxCopyBytes: 1 * MiB });
    const { result, zip, sink } = await runAll(fixtures, opts);
    const ratio = result.bytesUploaded / result.bytes;
    console.log(`copy test: bytesUploaded ${result.bytesUploaded} of ${result.bytes} (${(100 * ratio).toFixed(2)}%), copied ${result.bytesCopied}, ${result.parts} parts`);
    expect(ratio).toBeLessThan(0.1);
    expect(result.bytesUploaded + result.bytesCopied).toBe(result.bytes);
    expectPartSizes(sink, result.parts, opts);
    expect(zip.equals((await runAll(fixtures, { ...opts, copy: false })).zip)).toBe(true);
    await expectReadable(zip, fixtures);
  });
});

describe("runResumableZip, resumed", () => {
  it("yielding after every part and resuming from each JSON checkpoint gives the same bytes (copy on and off)", async () => {
    for (const copy of [false, true]) {
      const fixtures = mix();
      const whole = await runAll(fixtures, options({ copy }));
      const pieces = await runAll(fixtures, options({ copy }), true);
      expect(pieces.runs).toBe(whole.result.parts); // one run per part: the last run writes the last part
      // Resumes happened inside entries of every kind, not only between them.
      const midEntry = new Set(pieces.saved.filter((cp) => cp.current && cp.current.sourceOffset > 0).map((cp) => fixtures[cp.entry].name));
      expect([...midEntry].sort()).toEqual(copy ? ["gzip-big.csv", "gzip-noise.bin", "plain.csv", "stored.parquet"] : ["gzip-noise.bin", "plain.csv", "stored.parquet"]);
      expect(pieces.zip.equals(whole.zip)).toBe(true);
      expect(pieces.result.sha256).toBe(whole.result.sha256);
      expect(pieces.result.entries).toEqual(whole.result.entries);
      // Resuming a gzip entry mid-way re-reads its data for the inflate pass: more is read than once.
      expect(pieces.result.bytesRead).toBeGreaterThan(whole.result.bytesRead);
    }
  });

  it("a crash at any sink or checkpoint call, resumed from the last saved checkpoint, gives the same bytes", async () => {
    const fixtures = [...mix().slice(0, 5), ...mix().slice(7, 10)];
    for (const copy of [false, true]) {
      const opts = options({ copy });
      const whole = await runAll(fixtures, opts);
      const calls = whole.sink.calls.length + whole.saved.length;
      expect(calls).toBeGreaterThan(12);
      console.log(`crash test, copy ${copy}: ${calls} calls, a crash before each and after the last`);
      // A crash after call k leaves the sink and the saved checkpoint as a crash before call k + 1
      // does, so "before" every call plus "after" the last one covers every state a crash can leave.
      for (const after of [false, true]) {
        for (let k = after ? calls : 1; k <= calls; k++) {
          const sink = sinkFor(fixtures);
          let count = 0;
          let last: ResumableZipCheckpoint | null = null;
          const crash = async <T>(action: () => Promise<T>): Promise<T> => {
            const hit = ++count === k;
            if (hit && !after) throw new Error(`crash before call ${k}`);
            const value = await action();
            if (hit) throw new Error(`crash after call ${k}`);
            return value;
          };
          const crashing = {
            uploadPart: (n: number, body: Buffer) => crash(() => sink.uploadPart(n, body)),
            copyPart: (n: number, src: string, a: number, b: number) => crash(() => sink.copyPart(n, src, a, b)),
          };
          const hooks = {
            saveCheckpoint: (cp: ResumableZipCheckpoint) => crash(async () => void (last = roundTrip(cp))),
            shouldYield: () => false,
          };
          await expect(runResumableZip(fixtures.map((f) => f.entry), opts, crashing, null, hooks)).rejects.toThrow(/crash/);
          const resumed = await runResumableZip(fixtures.map((f) => f.entry), opts, sink, last, { saveCheckpoint: async () => undefined, shouldYield: () => false });
          if (resumed.state !== "done") throw new Error("resumed run yielded");
          expect(sink.assemble(resumed.result.parts).equals(whole.zip), `copy ${copy}, crash ${after ? "after" : "before"} call ${k}`).toBe(true);
          expect(resumed.result.sha256).toBe(whole.result.sha256);
          expect(resumed.result.entries).toEqual(whole.result.entries);
        }
      }
    }
  });

  it("a checkpoint taken after the last part resumes to the result without writing anything", async () => {
    const fixtures = mix().slice(0, 3);
    const whole = await runAll(fixtures, options());
    const final = whole.saved[whole.saved.length - 1];
    expect(final.complete).toBe(true);
    const sink = sinkFor(fixtures);
    const again = await runResumableZip(fixtures.map((f) => f.entry), options(), sink, final, { saveCheckpoint: async () => undefined, shouldYield: () => true });
    expect(again).toEqual({ state: "done", result: whole.result });
    expect(sink.calls).toEqual([]);
  });
});

describe("runResumableZip, hashed in one go (oneGo)", () => {
  it("writes the same bytes and digest as the saveable hash; its checkpoints hold no SHA-256 state and are refused on resume", async () => {
    const fixtures = mix().slice(0, 5);
    const saveable = await runAll(fixtures, options({ copy: true }));
    const oneGo = await runAll(fixtures, options({ copy: true, oneGo: true }));
    expect(oneGo.result).toEqual(saveable.result);
    expect(oneGo.result.sha256).toBe(sha(oneGo.zip));
    expect(oneGo.zip.equals(saveable.zip)).toBe(true);
    expect(saveable.saved.every((cp) => typeof cp.sha256State === "string")).toBe(true);
    expect(oneGo.saved.length).toBe(saveable.saved.length);
    expect(oneGo.saved.every((cp) => cp.sha256State === null)).toBe(true);
    // Apart from the hash state, the checkpoints are the saveable run's.
    expect(oneGo.saved.map((cp) => ({ ...cp, sha256State: "" }))).toEqual(saveable.saved.map((cp) => ({ ...cp, sha256State: "" })));
    const hooks = { saveCheckpoint: async () => undefined, shouldYield: () => false };
    const resume = (cp: ResumableZipCheckpoint, opts: ResumableZipOptions) => runResumableZip(fixtures.map((f) => f.entry), opts, sinkFor(fixtures), cp, hooks);
    await expect(resume(oneGo.saved[1], options({ copy: true }))).rejects.toThrow(/holds no SHA-256 state \(its run hashed the archive in one go\)/);
    await expect(resume(oneGo.saved[1], options({ copy: true }))).rejects.toThrow(ZipCheckpointMismatchError);
    // oneGo is for fresh runs: a run resumed from a saveable checkpoint keeps the saveable hash.
    const resumed = await resume(saveable.saved[1], options({ copy: true, oneGo: true }));
    expect(resumed.state === "done" && resumed.result.sha256).toBe(saveable.result.sha256);
  });
});

describe("runResumableZip, refusals and failures", () => {
  it("refuses a checkpoint of other entries, other options or another version", async () => {
    const fixtures = mix().slice(0, 3);
    const { saved } = await runAll(fixtures, options());
    const cp = saved[1];
    const entries = fixtures.map((f) => f.entry);
    const hooks = { saveCheckpoint: async () => undefined, shouldYield: () => false };
    const sink = sinkFor(fixtures);
    const renamed = entries.map((e, i) => (i === 1 ? { ...e, name: "other.csv" } : e));
    const resized = entries.map((e, i) => (i === 0 ? { ...e, sourceBytes: e.sourceBytes - 1 } : e));
    await expect(runResumableZip(renamed, options(), sink, cp, hooks)).rejects.toThrow(ZipCheckpointMismatchError);
    await expect(runResumableZip(resized, options(), sink, cp, hooks)).rejects.toThrow(/other entries/);
    await expect(runResumableZip(entries.slice(0, 2), options(), sink, cp, hooks)).rejects.toThrow(/for 3 entries, not 2/);
    await expect(runResumableZip(entries, options({ level: 6 }), sink, cp, hooks)).rejects.toThrow(/other options/);
    await expect(runResumableZip(entries, options(), sink, { ...cp, version: 2 } as unknown as ResumableZipCheckpoint, hooks)).rejects.toThrow(/version 2/);
    await expect(runResumableZip(entries, options(), sink, { ...cp, sha256State: "AAAA" }, hooks)).rejects.toThrow(/SHA-256 state/);
    const mid = saved.find((c) => c.current !== null && c.current.size > 0)!;
    expect(mid).toBeDefined();
    await expect(runResumableZip(entries, options(), sink, { ...mid, current: { ...mid.current!, size: mid.current!.size - 1 } }, hooks)).rejects.toThrow(
      /not on a deflate block boundary/,
    );
    await expect(runResumableZip(entries, options(), sink, { ...mid, current: { ...mid.current!, sourceOffset: 1e12 } }, hooks)).rejects.toThrow(/outside its source/);
    await expect(runResumableZip(entries, options(), sink, { ...mid, written: [[1, 2]] } as unknown as ResumableZipCheckpoint, hooks)).rejects.toThrow(
      ZipCheckpointMismatchError,
    );
    expect(sink.calls).toEqual([]);
  });

  it("a gzip part with a wrong trailer CRC or size, or two members, fails with its name", async () => {
    const good = zlib.gzipSync(csv(20_000, 9));
    const badCrc = Buffer.from(good);
    badCrc.writeUInt32LE((badCrc.readUInt32LE(badCrc.length - 8) ^ 1) >>> 0, badCrc.length - 8);
    const badSize = Buffer.from(good);
    badSize.writeUInt32LE(badSize.readUInt32LE(badSize.length - 4) + 1, badSize.length - 4);
    const twoMembers = Buffer.concat([zlib.gzipSync(csv(10, 1)), zlib.gzipSync(csv(10, 2))]);
    const truncated = good.subarray(0, good.length - 2000);
    const cases = [["crc", badCrc], ["size", badSize], ["two", twoMembers], ["truncated", truncated]] as const;
    for (const [label, bytes] of cases) {
      for (const copy of [false, true]) {
        const f = fixture(`bad-${label}.csv`, bytes, Buffer.alloc(0), { gzip: true });
        const sink = sinkFor([f]);
        await expect(
          runResumableZip([f.entry], options({ copy, minPartBytes: 16 * KiB, partBytes: 16 * KiB, maxCopyBytes: 32 * KiB }), sink, null, {
            saveCheckpoint: async () => undefined,
            shouldYield: () => false,
          }),
        ).rejects.toThrow(label === "truncated" ? /bad-truncated.csv: the gzip (trailer does not match|data does not inflate)/ : `bad-${label}.csv: the gzip trailer does not match its data`);
      }
    }
    const scrambled = Buffer.from(good);
    for (let at = 200; at < 400; at++) scrambled[at] = 0xff;
    const f = fixture("scrambled.csv", scrambled, Buffer.alloc(0), { gzip: true });
    await expect(runResumableZip([f.entry], options(), sinkFor([f]), null, { saveCheckpoint: async () => undefined, shouldYield: () => false })).rejects.toThrow(
      /scrambled.csv: the gzip data does not inflate/,
    );
  });

  it("a source shorter or longer than sourceBytes fails with the entry's name", async () => {
    const data = csv(1000);
    const short = fixture("short.csv", data, data, { openRange: async (a, b) => Readable.from([data.subarray(a, b - 1)]) });
    const long = fixture("long.csv", data, data, { openRange: async (a, b) => Readable.from([data.subarray(a, b), Buffer.from("x")]) });
    const hooks = { saveCheckpoint: async () => undefined, shouldYield: () => false };
    await expect(runResumableZip([short.entry], options(), sinkFor([short]), null, hooks)).rejects.toThrow(/short.csv: the source ended after/);
    await expect(runResumableZip([long.entry], options(), sinkFor([long]), null, hooks)).rejects.toThrow(/long.csv: the source range .* yielded more/);
  });

  it("checks options and the part count up front", async () => {
    const f = plain("a.csv", csv(10));
    const hooks = { saveCheckpoint: async () => undefined, shouldYield: () => false };
    const go = (opts: ResumableZipOptions, sink: object = sinkFor([f]), entries = [f.entry]) =>
      runResumableZip(entries, opts, sink as never, null, hooks);
    await expect(go(options({ partBytes: 1000, minPartBytes: 2000 }))).rejects.toThrow(/partBytes .* >= minPartBytes/);
    await expect(go(options({ maxCopyBytes: 100 * KiB }))).rejects.toThrow(/maxCopyBytes .* >= 2 \* minPartBytes/);
    await expect(go(options({ copy: true }), { uploadPart: async () => undefined })).rejects.toThrow(/no copyPart/);
    // Too many copy parts for S3: refused before anything is read or written.
    const huge = { ...f.entry, name: "huge.csv.gz", gzip: true, sourceBytes: 10_000 * 256 * KiB };
    const sink = sinkFor([f]);
    await expect(go(options({ copy: true }), sink, [huge])).rejects.toThrow(/could need 10002 copy parts and S3 allows 10000 parts: raise maxCopyBytes/);
    expect(sink.calls).toEqual([]);
  });
});

describe("runResumableZip checkpoints", () => {
  it("stay small: one entry, and 2,000 entries", async () => {
    const one = await runAll([plain("one.csv", csv(40_000), { countCsvRecords: true })], options());
    const many = Array.from({ length: 2000 }, (_, i) => plain(`supplier-0042/orders/part-${String(i).padStart(5, "0")}.csv`, csv(2, i), { countCsvRecords: true }));
    const big = await runAll(many, options({ partBytes: 64 * KiB }), true);
    // Some runs resumed inside the central directory, and the bytes are still createZipArchive's.
    expect(big.saved.some((cp) => cp.centralWritten > 0 && cp.centralWritten < 2000)).toBe(true);
    expect(big.zip.equals(await referenceZip(many, 1))).toBe(true);
    const size = (cp: ResumableZipCheckpoint) => Buffer.byteLength(JSON.stringify(cp));
    const oneMax = Math.max(...one.saved.map(size));
    const manyMax = Math.max(...big.saved.map(size));
    console.log(`checkpoint JSON: ${oneMax} bytes (1 entry), ${manyMax} bytes (2,000 entries)`);
    expect(manyMax).toBeLessThan(200 * KiB);
    await expectReadable(big.zip, many);
  });
});
