// The resumable zip writer: entries in, multipart parts out, a checkpoint after every part.
import { type CentralEntry, centralHeader, dataDescriptor, encodeEntryNames, endRecords, type HeaderStyle, headerStyle, localHeader, METHOD_DEFLATE, METHOD_STORED } from "./records";
import { type EntryContext, type EntryOutcome, writeDeflated, writeGzip, writeStored } from "./resumable-entries";
import { CHECKPOINT_VERSION, checkCheckpoint, effectivePartBytes, checkResumableOptions, copyable, fingerprint } from "./resumable-plan";
import { SourceReader } from "./resumable-source";
import { ArchiveHash } from "./resumable-state";
import {
  type CheckpointCurrentEntry,
  type CheckpointEntryFacts,
  type ResumableZipCheckpoint,
  type ResumableZipEntry,
  type ResumableZipHooks,
  type ResumableZipOptions,
  type ResumableZipOutcome,
  type ResumableZipResult,
  type ResumableZipSink,
  S3_MAX_PARTS,
  ZipCheckpointMismatchError,
} from "./resumable-types";

/**
 * Writes the archive of `entries` into `sink` as parts, from the start (`checkpoint` null) or
 * from a checkpoint a previous run saved. Resolves `{ state: "done", result }` once the last part
 * is written (the caller completes the multipart upload), or `{ state: "yielded", checkpoint }`
 * when `hooks.shouldYield()` said so at a safe point. Rejects on a source error, a damaged gzip
 * member, a sink or hook error (resume from the last saved checkpoint), or a checkpoint that does
 * not match the entries and options (`ZipCheckpointMismatchError`).
 *
 * The archive is byte for byte what an uninterrupted run writes, whatever the yields, crashes
 * and resumes, and what `createZipArchive` writes for the same entries (no entry has `store`
 * while `level` > 0): copy parts change how bytes reach the object, not which bytes.
 * Throws (rejects) before the first part on bad options or names, or when the archive cannot fit
 * in S3's 10,000 parts (the part size grows first: see `effectivePartBytes`).
 */
export async function runResumableZip(
  entries: ResumableZipEntry[],
  opts: ResumableZipOptions,
  sink: ResumableZipSink,
  checkpoint: ResumableZipCheckpoint | null,
  hooks: ResumableZipHooks,
): Promise<ResumableZipOutcome> {
  checkResumableOptions(opts, entries, typeof sink.copyPart === "function");
  const names = encodeEntryNames(entries.map((e) => e.name));
  const partBytes = effectivePartBytes(entries, names.map((n) => n.length), opts);
  if (checkpoint) checkCheckpoint(checkpoint, entries, opts);
  let hash: ArchiveHash;
  try {
    hash = await ArchiveHash.create(checkpoint?.sha256State ?? null, opts.oneGo === true);
  } catch (error) {
    throw new ZipCheckpointMismatchError(`zip checkpoint refused: its SHA-256 state does not load (${error instanceof Error ? error.message : String(error)})`);
  }
  return new ResumableRun(entries, names, opts, partBytes, sink, hooks, hash, checkpoint).run();
}

/** Thrown inside the run to unwind to `run()` at a safe point where the caller asked to yield. */
const YIELD = Symbol("yield");

class ResumableRun {
  private readonly style: HeaderStyle;
  private readonly fingerprint: string;
  private nextPart: number;
  private bytes: number;
  private entry: number;
  private current: CheckpointCurrentEntry | null;
  private readonly written: CheckpointEntryFacts[];
  private centralWritten: number;
  private centralStart: number;
  private complete: boolean;
  private bytesUploaded: number;
  private bytesCopied: number;
  private bytesRead: number;
  private parts: number;
  private buffer: Buffer[] = [];
  private bufferBytes = 0;
  private lastCheckpoint: ResumableZipCheckpoint | null;

  constructor(
    private readonly entries: ResumableZipEntry[],
    private readonly names: Buffer[],
    private readonly opts: ResumableZipOptions,
    /** opts.partBytes, or larger when the archive could need more than 10,000 parts (effectivePartBytes). */
    private readonly partBytes: number,
    private readonly sink: ResumableZipSink,
    private readonly hooks: ResumableZipHooks,
    private readonly hash: ArchiveHash,
    checkpoint: ResumableZipCheckpoint | null,
  ) {
    this.style = headerStyle(opts.level === 0 ? METHOD_STORED : METHOD_DEFLATE, opts.mtime);
    this.fingerprint = fingerprint(entries, opts);
    this.nextPart = checkpoint?.nextPart ?? 1;
    this.bytes = checkpoint?.bytes ?? 0;
    this.entry = checkpoint?.entry ?? 0;
    this.current = checkpoint?.current ? { ...checkpoint.current, csv: checkpoint.current.csv ? [...checkpoint.current.csv] : null } : null;
    this.written = checkpoint ? checkpoint.written.map((f) => [...f] as CheckpointEntryFacts) : [];
    this.centralWritten = checkpoint?.centralWritten ?? -1;
    this.centralStart = checkpoint?.centralStart ?? 0;
    this.complete = checkpoint?.complete ?? false;
    this.bytesUploaded = checkpoint?.bytesUploaded ?? 0;
    this.bytesCopied = checkpoint?.bytesCopied ?? 0;
    this.bytesRead = checkpoint?.bytesRead ?? 0;
    this.parts = checkpoint?.parts ?? 0;
    this.lastCheckpoint = checkpoint;
  }

  async run(): Promise<ResumableZipOutcome> {
    try {
      while (!this.complete && this.entry < this.entries.length) await this.writeEntry();
      if (!this.complete) await this.writeCentralDirectory();
      return { state: "done", result: this.result() };
    } catch (error) {
      if (error === YIELD) return { state: "yielded", checkpoint: this.lastCheckpoint! };
      throw error;
    }
  }

  private methodOf(entry: ResumableZipEntry): number {
    if (entry.gzip) return METHOD_DEFLATE;
    return entry.store || this.opts.level === 0 ? METHOD_STORED : METHOD_DEFLATE;
  }

  private async writeEntry(): Promise<void> {
    const index = this.entry;
    const entry = this.entries[index];
    const method = this.methodOf(entry);
    const fresh = this.current === null;
    if (!this.current) {
      this.current = {
        sourceOffset: 0,
        offset: this.bytes,
        headerLength: 0,
        copyFrom: null,
        crc32: 0,
        size: 0,
        compressedSize: 0,
        csv: entry.countCsvRecords ? [0, 0, -1] : null,
      };
      this.emit(localHeader(this.style, this.names[index], method));
    }
    const ctx = this.context(this.current);
    const data: EntryOutcome = entry.gzip
      ? await writeGzip(ctx, entry, fresh)
      : method === METHOD_STORED
        ? await writeStored(ctx, entry, fresh)
        : await writeDeflated(ctx, entry, fresh);
    this.emit(dataDescriptor(data));
    this.written.push([data.crc32, data.size, data.compressedSize, this.current.offset, data.method, data.csvRecords ?? -1]);
    this.entry = index + 1;
    this.current = null;
    await this.safePoint(false);
  }

  private context(current: CheckpointCurrentEntry): EntryContext {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the context is a view of this run
    const run = this;
    return {
      opts: this.opts,
      current,
      get buffered() {
        return run.bufferBytes;
      },
      emit: (chunk) => this.emit(chunk),
      safePoint: (force) => this.safePoint(force),
      copy: (entry, start, end, read) => this.copy(entry, start, end, read),
      reader: (entry, start, end) => new SourceReader(entry, start, end, (n) => this.counted(n)),
      copyable: (entry) => copyable(entry, this.opts),
    };
  }

  private counted(bytes: number): void {
    this.bytesRead += bytes;
    this.opts.onInput?.(bytes);
  }

  private emit(chunk: Buffer): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.buffer.push(chunk);
    this.bufferBytes += chunk.length;
  }

  /** Cuts a part when the buffer has reached partBytes (or holds anything, when forced), saves a checkpoint, maybe yields. */
  private async safePoint(force: boolean): Promise<void> {
    if (this.bufferBytes === 0 || (!force && this.bufferBytes < this.partBytes)) return;
    await this.uploadBuffer();
    await this.checkpoint(true);
  }

  private takePartNumber(): number {
    const part = this.nextPart;
    if (part > S3_MAX_PARTS) throw new Error(`the archive needs more than ${S3_MAX_PARTS} parts: raise partBytes`);
    return part;
  }

  private async uploadBuffer(): Promise<void> {
    const part = this.takePartNumber();
    const body = this.buffer.length === 1 ? this.buffer[0] : Buffer.concat(this.buffer, this.bufferBytes);
    await this.sink.uploadPart(part, body);
    this.buffer = [];
    this.bufferBytes = 0;
    this.nextPart = part + 1;
    this.parts = part;
    this.bytesUploaded += body.length;
  }

  private async copy(entry: ResumableZipEntry, start: number, end: number, read: (hashed: (piece: Buffer) => void) => Promise<void>): Promise<void> {
    if (this.bufferBytes !== 0) throw new Error("a copy part must start on a part boundary");
    const part = this.takePartNumber();
    const copying = this.sink.copyPart!(part, entry.copySource!, start, end);
    copying.catch(() => undefined); // awaited below, after the read (which may fail first)
    // The copied bytes are archive bytes: read them for the hash (and CRC or inflate) while the copy runs.
    await read((piece) => this.hash.update(piece));
    await copying;
    this.bytes += end - start;
    this.current!.sourceOffset = end;
    this.nextPart = part + 1;
    this.parts = part;
    this.bytesCopied += end - start;
    await this.checkpoint(true);
  }

  private async checkpoint(mayYield: boolean): Promise<void> {
    const checkpoint: ResumableZipCheckpoint = {
      version: CHECKPOINT_VERSION,
      fingerprint: this.fingerprint,
      entryCount: this.entries.length,
      nextPart: this.nextPart,
      bytes: this.bytes,
      sha256State: this.hash.save(),
      entry: this.entry,
      current: this.current ? { ...this.current, csv: this.current.csv ? [...this.current.csv] : null } : null,
      written: this.written.map((f) => [...f] as CheckpointEntryFacts),
      centralWritten: this.centralWritten,
      centralStart: this.centralStart,
      complete: this.complete,
      bytesUploaded: this.bytesUploaded,
      bytesCopied: this.bytesCopied,
      bytesRead: this.bytesRead,
      parts: this.parts,
    };
    await this.hooks.saveCheckpoint(checkpoint);
    this.lastCheckpoint = checkpoint;
    if (mayYield && this.hooks.shouldYield()) throw YIELD;
  }

  private centralEntry(index: number): CentralEntry {
    const [crc32, size, compressedSize, offset, method] = this.written[index];
    return { crc32, size, compressedSize, offset, method, nameBytes: this.names[index] };
  }

  private async writeCentralDirectory(): Promise<void> {
    if (this.centralWritten < 0) {
      this.centralStart = this.bytes;
      this.centralWritten = 0;
    }
    while (this.centralWritten < this.entries.length) {
      this.emit(centralHeader(this.style, this.centralEntry(this.centralWritten)));
      this.centralWritten++;
      await this.safePoint(false);
    }
    this.emit(endRecords(this.entries.length, this.centralStart, this.bytes - this.centralStart));
    await this.uploadBuffer();
    this.complete = true;
    await this.checkpoint(false);
  }

  private result(): ResumableZipResult {
    return {
      bytes: this.bytes,
      sha256: this.hash.digest(),
      entries: this.written.map(([crc32, size, compressedSize, , , csvRecords], i) => ({
        name: this.entries[i].name,
        size,
        compressedSize,
        crc32,
        inputBytes: this.entries[i].sourceBytes,
        ...(csvRecords >= 0 ? { csvRecords } : {}),
      })),
      parts: this.parts,
      bytesUploaded: this.bytesUploaded,
      bytesCopied: this.bytesCopied,
      bytesRead: this.bytesRead,
    };
  }
}
