// Round trips of the streaming zip writer, checked by Info-ZIP `unzip -t` and Python's zipfile.
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import zlib from "node:zlib";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createZipArchive, type ZipEntryInput, type ZipOptions, type ZipResult } from "./index";

const run = promisify(execFile);
const MTIME = new Date("2024-05-06T07:08:09Z");
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * testzip() (reads every entry, checks its CRC), then lists every entry with its metadata and,
 * unless "--no-hash" is passed, the SHA-256 of its bytes.
 */
const PYTHON_READ_ZIP = `
import hashlib, json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    bad = z.testzip()
    entries = []
    for i in z.infolist():
        h = hashlib.sha256()
        if "--no-hash" not in sys.argv:
            with z.open(i) as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
        entries.append(dict(name=i.filename, size=i.file_size, compressedSize=i.compress_size, crc32=i.CRC,
            method=i.compress_type, flags=i.flag_bits, version=i.extract_version, offset=i.header_offset,
            dateTime=list(i.date_time), extra=i.extra.hex(), sha256=h.hexdigest()))
print(json.dumps(dict(bad=bad, entries=entries)))
`;

interface PythonEntry {
  name: string;
  size: number;
  compressedSize: number;
  crc32: number;
  method: number;
  flags: number;
  version: number;
  offset: number;
  dateTime: number[];
  extra: string;
  sha256: string;
}

let workDir: string;
let fileCounter = 0;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), "zip-writer-test-"));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});
beforeEach(async () => {
});

function options(overrides: Partial<ZipOptions> = {}): ZipOptions {
  return { level: 1, mtime: MTIME, ...overrides };
}

/** An entry whose stream yields `data` in `chunkSize` pieces. */
function bufferEntry(name: string, data: Buffer, chunkSize = 64 * 1024, prefix?: Buffer): ZipEntryInput {
  const chunks: Buffer[] = [];
  for (let at = 0; at < data.length; at += chunkSize) chunks.push(data.subarray(at, at + chunkSize));
  return { name, prefix, open: async () => Readable.from(chunks) };
}

function csvText(rows: number, seed = 1): Buffer {
  const lines = ["id,sku,name,quantity,price"];
  let x = seed;
  for (let i = 0; i < rows; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    lines.push(`${i},SKU-${x % 9973},Tulip ${["red", "white", "yellow", "purple"][x % 4]},${x % 500},${(x % 10000) / 100}`);
  }
  return Buffer.from(lines.join("\n") + "\n");
}

function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

async function writeZip(entries: ZipEntryInput[], opts: ZipOptions): Promise<{ file: string; result: ZipResult }> {
  const file = path.join(workDir, `archive-${++fileCounter}.zip`);
  const zip = createZipArchive(entries, opts);
  await pipeline(zip.stream, createWriteStream(file));
  return { file, result: await zip.result };
}

async function unzipTest(file: string): Promise<void> {
  const { stdout } = await run("unzip", ["-tq", file], { maxBuffer: 64 << 20 });
  expect(stdout).toContain("No errors detected in compressed data");
}

async function pythonRead(file: string, ...flags: "--no-hash"[]): Promise<{ bad: string | null; entries: PythonEntry[] }> {
  const { stdout } = await run("python3", ["-c", PYTHON_READ_ZIP, file, ...flags], { maxBuffer: 256 << 20 });
  return JSON.parse(stdout) as { bad: string | null; entries: PythonEntry[] };
}

/** Both readers accept the archive, and every entry has the expected name, bytes, CRC and sizes. */
async function expectArchive(file: string, result: ZipResult, expected: { name: string; data: Buffer }[]): Promise<PythonEntry[]> {
  await unzipTest(file);
  const python = await pythonRead(file);
  expect(python.bad).toBeNull();
  expect(python.entries.map((e) => e.name)).toEqual(expected.map((e) => e.name));
  expected.forEach(({ data }, i) => {
    const entry = python.entries[i];
    expect(entry.sha256).toBe(sha256(data));
    expect(entry.size).toBe(data.length);
    expect(entry.crc32).toBe(zlib.crc32(data));
    expect(result.entries[i]).toMatchObject({
      name: expected[i].name,
      size: data.length,
      compressedSize: entry.compressedSize,
      crc32: entry.crc32,
    });
  });
  return python.entries;
}


async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Rejects if `promise` has not settled within `ms`: a guard against hangs, not a way to wait. */
function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Lets every queued callback and I/O completion run `turns` times without waiting on a clock. */
async function settle(turns = 50): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A stream of `total` bytes made on demand; `pulled` says how much the writer asked for. */
function generated(total: number, chunk = 64 * 1024) {
  const block = Buffer.alloc(chunk, "flowers,");
  const state = { pulled: 0, ended: false, stream: null as Readable | null };
  const stream = new Readable({
    read() {
      const n = Math.min(chunk, total - state.pulled);
      if (n <= 0) {
        state.ended = true;
        this.push(null);
        return;
      }
      state.pulled += n;
      this.push(block.subarray(0, n));
    },
  });
  state.stream = stream;
  return state;
}

function failingStream(error: Error, before = Buffer.alloc(200_000, "a")): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(before);
      } else {
        setImmediate(() => this.destroy(error));
      }
    },
  });
}

/** End of central directory fields, and whether a ZIP64 end record + locator precede it. */
function endRecords(zip: Buffer) {
  const end = zip.subarray(zip.length - 22);
  expect(end.readUInt32LE(0)).toBe(0x06054b50);
  const hasLocator = zip.length >= 42 && zip.readUInt32LE(zip.length - 42) === 0x07064b50;
  return { entries: end.readUInt16LE(10), cdSize: end.readUInt32LE(12), cdOffset: end.readUInt32LE(16), hasLocator };
}

describe("createZipArchive round trips", () => {
  const text = csvText(20_000);
  const random = randomBytes(300_000);
  const files = [
    { name: "part-0000.csv", data: text },
    { name: "part-0001.bin", data: random },
    { name: "nested/dir/part-0002.csv", data: csvText(500, 7) },
  ];

  it.each([
    { level: 0, method: 0 },
    { level: 1, method: 8 },
    { level: 6, method: 8 },
  ])("level $level: unzip -t and zipfile read every entry back", async ({ level, method }) => {
    const { file, result } = await writeZip(
      files.map((f) => bufferEntry(f.name, f.data, 10_000)),
      options({ level }),
    );
    const entries = await expectArchive(file, result, files);
    for (const entry of entries) {
      expect(entry.method).toBe(method);
      expect(entry.flags & 0x0808).toBe(0x0808); // data descriptor + UTF-8
      expect(entry.version).toBe(20); // no ZIP64 here
      expect(entry.extra.startsWith("0100")).toBe(false);
    }
    if (level === 0) expect(entries[0].compressedSize).toBe(text.length);
    else expect(entries[0].compressedSize).toBeLessThan(text.length / 3);
    const end = endRecords(await readFile(file));
    expect(end).toMatchObject({ entries: 3, hasLocator: false });
  });

  it("level 6 is smaller than level 1 on text", async () => {
    const fast = await writeZip([bufferEntry("a.csv", text)], options({ level: 1 }));
    const small = await writeZip([bufferEntry("a.csv", text)], options({ level: 6 }));
    expect(small.result.entries[0].compressedSize).toBeLessThan(fast.result.entries[0].compressedSize);
  });

  it("keeps an empty entry and unicode names (UTF-8 flag set)", async () => {
    const expected = [
      { name: "empty.csv", data: Buffer.alloc(0) },
      { name: "fleurs/été-ünïcødé-花.csv", data: Buffer.from("nom,prix\nrosé,3\n") },
      { name: "emoji-🌷.txt", data: Buffer.alloc(0) },
    ];
    const { file, result } = await writeZip(
      expected.map((e) => bufferEntry(e.name, e.data)),
      options({ level: 1 }),
    );
    const entries = await expectArchive(file, result, expected);
    expect(entries.every((e) => (e.flags & 0x0800) !== 0)).toBe(true);
    const { stdout } = await run("unzip", ["-Z1", file]);
    expect(stdout.trim().split("\n")).toEqual(expected.map((e) => e.name));
  });

  it("writes an empty archive as a bare end record", async () => {
    const { file, result } = await writeZip([], options());
    const bytes = await readFile(file);
    expect(bytes.length).toBe(22);
    expect(result).toMatchObject({ bytes: 22, entries: [] });
    expect(endRecords(bytes)).toEqual({ entries: 0, cdSize: 0, cdOffset: 0, hasLocator: false });
    expect((await pythonRead(file)).entries).toEqual([]);
    // Info-ZIP reports an empty archive (exit 1) rather than a damaged one (exit 9).
    const failure = await run("unzip", ["-t", file]).then(
      () => null,
      (error: { code: number; stderr: string; stdout: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(`${failure?.stdout}${failure?.stderr}`).toContain("zipfile is empty");
  });

  it("writes the prefix (a BOM) before the entry's bytes, in its size and CRC", async () => {
    const body = Buffer.from("id,name\n1,Rosé\n");
    const { file, result } = await writeZip([bufferEntry("with-bom.csv", body, 4, BOM), bufferEntry("without.csv", body)], options());
    await expectArchive(file, result, [
      { name: "with-bom.csv", data: Buffer.concat([BOM, body]) },
      { name: "without.csv", data: body },
    ]);
    const { stdout } = await run("unzip", ["-p", file, "with-bom.csv"], { encoding: "buffer" });
    expect(stdout.subarray(0, 3)).toEqual(BOM);
    expect(result.entries[0].size).toBe(body.length + 3);
  });

  it("accepts string and Uint8Array chunks and old-style (non-Readable) streams", async () => {
    const oldStyle = (): NodeJS.ReadableStream => {
      // A pre-streams2 emitter: only 'data'/'end', pause() and resume(). Node wraps these with Readable#wrap.
      const emitter = Object.assign(new EventEmitter(), { pause: () => emitter, resume: () => emitter, readable: true });
      setImmediate(() => {
        emitter.emit("data", Buffer.from("old,"));
        emitter.emit("data", Buffer.from("style\n"));
        emitter.emit("end");
      });
      return emitter as unknown as NodeJS.ReadableStream;
    };
    const entries: ZipEntryInput[] = [
      { name: "strings.csv", open: async () => Readable.from(["prix,", "€5\n"], { objectMode: true }) },
      { name: "uint8.bin", open: async () => Readable.from([new Uint8Array([1, 2, 3]), new Uint8Array([4])], { objectMode: true }) },
      { name: "old.csv", open: async () => oldStyle() },
    ];
    const { file, result } = await writeZip(entries, options());
    await expectArchive(file, result, [
      { name: "strings.csv", data: Buffer.from("prix,€5\n") },
      { name: "uint8.bin", data: Buffer.from([1, 2, 3, 4]) },
      { name: "old.csv", data: Buffer.from("old,style\n") },
    ]);
  });

  it("reports bytes and sha256 of exactly what it emitted", async () => {
    const { file, result } = await writeZip(
      files.map((f) => bufferEntry(f.name, f.data)),
      options(),
    );
    const bytes = await readFile(file);
    expect(result.bytes).toBe(bytes.length);
    expect(result.sha256).toBe(sha256(bytes));
  });

  it("gives byte-identical archives however the inputs are chunked (deflate blocks are cut at fixed offsets)", async () => {
    const inputs = [...files, { name: "part-0003.csv", data: csvText(30_000, 3) }, { name: "part-0004.csv", data: Buffer.alloc(0) }];
    const shas = new Set<string>();
    for (const chunk of [8192, 100_003, 3_000_000]) {
      const { file, result } = await writeZip(
        inputs.map((f) => bufferEntry(f.name, f.data, chunk)),
        options(),
      );
      await expectArchive(file, result, inputs);
      shas.add(sha256(await readFile(file)));
    }
    expect(shas.size).toBe(1);
  });

  it("gives identical bytes for the same inputs and mtime, different bytes for another mtime", async () => {
    const make = (mtime: Date) =>
      writeZip(
        files.map((f) => bufferEntry(f.name, f.data)),
        options({ mtime }),
      );
    const first = await make(MTIME);
    const second = await make(new Date(MTIME));
    const later = await make(new Date("2031-12-30T23:58:59Z"));
    // Buffer#equals: a deep toEqual() walks a buffer byte by byte.
    expect((await readFile(second.file)).equals(await readFile(first.file))).toBe(true);
    expect(later.result.sha256).not.toBe(first.result.sha256);
    const [stamped] = (await pythonRead(later.file)).entries;
    expect(stamped.dateTime).toEqual([2031, 12, 30, 23, 58, 58]); // DOS time: UTC fields, 2-second steps
    const { stdout } = await run("unzip", ["-Z", "-v", later.file]);
    expect(stdout).toContain("2031 Dec 30 23:58:59 UTC"); // the 0x5455 extra field keeps the exact second
  });
});

describe("createZipArchive parallelism and backpressure", () => {
  it("opens each entry only after the previous one ended", async () => {
    const events: string[] = [];
    const entries: ZipEntryInput[] = [0, 1, 2].map((i) => ({
      name: `part-${i}.csv`,
      open: async () => {
        events.push(`${i}:open`);
        const stream = generated(1 << 20).stream!;
        stream.on("end", () => events.push(`${i}:end`));
        return stream;
      },
    }));
    const zip = createZipArchive(entries, options());
    await pipeline(zip.stream, createWriteStream(path.join(workDir, "sequential.zip")));
    await zip.result;
    expect(events).toEqual(["0:open", "0:end", "1:open", "1:end", "2:open", "2:end"]);
  });

  it("a consumer that stops reading stops the reads; destroying the stream ends them", async () => {
    const inputs = [0, 1, 2, 3, 4].map(() => generated(64 << 20));
    const opened: number[] = [];
    const entries: ZipEntryInput[] = inputs.map((input, i) => ({
      name: `part-${i}.csv`,
      open: async () => {
        opened.push(i);
        return input.stream!;
      },
    }));
    const zip = createZipArchive(entries, options({ level: 0 }));
    await new Promise<void>((resolve) =>
      zip.stream.once("data", () => {
        zip.stream.pause();
        resolve();
      }),
    );
    await settle();
    expect(opened).toEqual([0]);
    expect(inputs[0].pulled).toBeLessThan(4 << 20);
    expect(inputs[0].pulled).toBeGreaterThan(0);
    zip.stream.destroy();
    await expect(zip.result).rejects.toThrow(/destroyed before the archive was complete/);
    expect(inputs[0].stream!.destroyed).toBe(true);
  });
});

describe("createZipArchive failures", () => {
  async function expectFailure(entries: ZipEntryInput[], error: Error): Promise<void> {
    const zip = createZipArchive(entries, options());
    const streamError = new Promise((resolve) => zip.stream.once("error", resolve));
    const written = pipeline(zip.stream, createWriteStream(path.join(workDir, `failed-${++fileCounter}.zip`)));
    await expect(withDeadline(written, 10_000, "the archive to fail")).rejects.toBe(error);
    await expect(zip.result).rejects.toBe(error);
    expect(await streamError).toBe(error);
  }

  it("an error in an entry's stream fails the archive", async () => {
    const error = new Error("warehouse part vanished");
    const big = csvText(50_000, 9);
    await expectFailure(
      [
        { name: "a.csv", open: async () => failingStream(error) },
        bufferEntry("b.csv", big),
        bufferEntry("c.csv", big),
      ],
      error,
    );
  });

  it("destroying the stream ends a stalled read", async () => {
    const stalled = new Readable({ read() {} }); // never produces a byte
    const zip = createZipArchive([{ name: "stalled.csv", open: async () => stalled }], options());
    const streamError = new Promise((resolve) => zip.stream.once("error", resolve));
    zip.stream.resume();
    await waitFor(() => stalled.listenerCount("readable") > 0, "the entry to be read");
    const error = new Error("upload aborted");
    zip.stream.destroy(error);
    await expect(withDeadline(zip.result, 5000, "the archive to give up")).rejects.toBe(error);
    expect(await streamError).toBe(error);
    expect(stalled.destroyed).toBe(true);
  });

  it("destroying the stream ends an open() that never settles", async () => {
    let openCalled = false;
    const zip = createZipArchive(
      [
        {
          name: "never.csv",
          open: () => {
            openCalled = true;
            return new Promise<Readable>(() => undefined);
          },
        },
      ],
      options(),
    );
    zip.stream.on("error", () => undefined);
    zip.stream.resume();
    await waitFor(() => openCalled, "the entry's open()");
    const error = new Error("upload aborted");
    zip.stream.destroy(error);
    await expect(withDeadline(zip.result, 5000, "the archive to give up")).rejects.toBe(error);
  });

  it("a rejected open() fails the archive", async () => {
    const error = new Error("no such part");
    await expectFailure([bufferEntry("a.csv", csvText(10)), { name: "b.csv", open: () => Promise.reject(error) }], error);
  });

  it("an input that fails before it is read (missing file) fails the archive with its error", async () => {
    const zip = createZipArchive(
      [bufferEntry("a.csv", csvText(10)), { name: "b.csv", open: async () => createReadStream(path.join(workDir, "missing.csv")) }],
      options(),
    );
    const written = pipeline(zip.stream, createWriteStream(path.join(workDir, "missing.zip")));
    await expect(written).rejects.toMatchObject({ code: "ENOENT" });
    await expect(zip.result).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("a chunk that is not bytes fails the archive", async () => {
    const zip = createZipArchive([{ name: "a.json", open: async () => Readable.from([{ id: 1 }]) }], options());
    await expect(pipeline(zip.stream, createWriteStream(path.join(workDir, "objects.zip")))).rejects.toThrow(/must yield bytes/);
    await expect(zip.result).rejects.toThrow(/must yield bytes/);
  });

  it("refuses bad names and options up front", () => {
    const entry = (name: string) => bufferEntry(name, Buffer.alloc(1));
    for (const name of ["", "/abs.csv", "../up.csv", "a/../b.csv", "a\\b.csv", "dir/", "a//b", "nul\0.csv", "lone-\ud800.csv"]) {
      expect(() => createZipArchive([entry(name)], options()), name).toThrow(TypeError);
    }
    expect(() => createZipArchive([entry("a.csv"), entry("a.csv")], options())).toThrow(/duplicate/);
    expect(() => createZipArchive([], options({ level: 10 }))).toThrow(RangeError);
    expect(() => createZipArchive([], options({ mtime: new Date(Number.NaN) }))).toThrow(TypeError);
  });
});

describe("createZipArchive ZIP64", () => {
  it("writes a ZIP64 end record for more than 65,535 entries", async () => {
    const count = 0x10000;
    const data = (i: number) => Buffer.from(`${i}\n`);
    const entries: ZipEntryInput[] = Array.from({ length: count }, (_, i) => ({
      name: `p/${i}.csv`,
      open: async () => Readable.from([data(i)]),
    }));
    const { file, result } = await writeZip(entries, options({ level: 0 }));
    const [, python] = await Promise.all([unzipTest(file), pythonRead(file, "--no-hash")]); // testzip() still CRC-checks every entry
    expect(python.bad).toBeNull();
    // One comparison of the whole listing: 65k separate expect() calls would dominate the run time.
    const expected = Array.from({ length: count }, (_, i) => `p/${i}.csv ${data(i).length} ${zlib.crc32(data(i))}`);
    expect(python.entries.map((e) => `${e.name} ${e.size} ${e.crc32}`)).toEqual(expected);
    expect(result.entries.map((e) => `${e.name} ${e.size} ${e.crc32}`)).toEqual(expected);
    const bytes = await readFile(file);
    const end = endRecords(bytes);
    expect(end).toMatchObject({ entries: 0xffff, hasLocator: true });
    const zip64End = Number(bytes.readBigUInt64LE(bytes.length - 42 + 8));
    expect(bytes.readUInt32LE(zip64End)).toBe(0x06064b50);
    expect(Number(bytes.readBigUInt64LE(zip64End + 32))).toBe(count);
    expect(end.cdOffset).toBe(Number(bytes.readBigUInt64LE(zip64End + 48))); // still fits in 32 bits
  });
});

/** Rows of a CSV file as Python's csv module reads them (quoted fields may hold newlines and quotes). */
async function pythonCsvRecords(data: Buffer): Promise<number> {
  const file = path.join(workDir, `csv-${fileCounter++}.csv`);
  await pipeline(Readable.from([data]), createWriteStream(file));
  const { stdout } = await run("python3", ["-c", "import csv,sys\nwith open(sys.argv[1], newline='', encoding='utf-8-sig') as f: print(sum(1 for _ in csv.reader(f)))", file]);
  return Number(stdout.trim());
}

describe("createZipArchive CSV record counts", () => {
  /** Quoted fields with newlines, escaped quotes and commas, placed so they straddle 1 MiB blocks. */
  function trickyCsv(rows: number): Buffer {
    const lines = ["id,note,amount"];
    for (let i = 0; i < rows; i++) {
      const note = i % 7 === 0 ? `"line one\nline ""two"", still ${i}\n"` : i % 5 === 0 ? `"a, b ""c"""` : `plain ${i}`;
      lines.push(`${i},${note},${(i * 1.5).toFixed(2)}`);
    }
    return Buffer.from(lines.join("\n") + (rows % 2 ? "\n" : ""), "utf8");
  }

  it.each([0, 1])("level %i: counts match Python's csv reader, across block boundaries, with a BOM prefix", async (level) => {
    const big = trickyCsv(120_000); // ~3.5 MB: several deflate blocks, boundaries inside quoted fields
    const small = trickyCsv(3);
    const empty = Buffer.alloc(0);
    let fed = 0;
    const { file, result } = await writeZip(
      [
        { ...bufferEntry("big.csv", big, 77_777, BOM), countCsvRecords: true },
        { ...bufferEntry("small.csv", small, 10), countCsvRecords: true },
        { ...bufferEntry("empty.csv", empty), countCsvRecords: true },
        bufferEntry("uncounted.csv", small),
      ],
      options({ level, onInput: (n) => (fed += n) }),
    );
    expect(big.length).toBeGreaterThan(3 * 1024 * 1024);
    expect(result.entries.map((e) => e.csvRecords)).toEqual([await pythonCsvRecords(big), await pythonCsvRecords(small), 0, undefined]);
    expect(result.entries[0].csvRecords).toBe(120_001);
    expect(fed).toBe(big.length + small.length * 2);
    await expectArchive(file, result, [
      { name: "big.csv", data: Buffer.concat([BOM, big]) },
      { name: "small.csv", data: small },
      { name: "empty.csv", data: empty },
      { name: "uncounted.csv", data: small },
    ]);
  });
});
