// Reading a byte range of an entry's source in pieces of sizes the writer chooses, whatever the stream's chunks.
import type { Readable } from "node:stream";
import { readInBlocks, toBuffer, toReadable } from "./block-reader";
import type { ResumableZipEntry } from "./resumable-types";

const READ_SIZE = 1024 * 1024;

/**
 * Source bytes [start, end) of one entry, opened on the first read. The writer cuts parts at
 * fixed source offsets, so it reads exact lengths (`read`) or up to a length (`pull`); a stream
 * that ends early, or yields more than its range, fails with the entry's name.
 */
export class SourceReader {
  private stream: Readable | null = null;
  private chunks: AsyncIterator<unknown> | null = null;
  private leftover: Buffer | null = null;
  private received = 0;
  private position: number;

  constructor(
    private readonly entry: ResumableZipEntry,
    private readonly start: number,
    private readonly end: number,
    private readonly counted: (bytes: number) => void,
  ) {
    this.position = start;
  }

  /** Source offset of the next byte `pull` returns. */
  get offset(): number {
    return this.position;
  }

  /** 1..max bytes (never past the range's end); throws at the end of the range. */
  async pull(max: number): Promise<Buffer> {
    if (this.position >= this.end) throw new Error(`${this.entry.name}: read past the end of source range [${this.start}, ${this.end})`);
    let chunk = this.leftover;
    this.leftover = null;
    if (!chunk) chunk = await this.nextChunk();
    const take = Math.min(max, chunk.length, this.end - this.position);
    if (take < chunk.length) this.leftover = chunk.subarray(take);
    this.position += take;
    if (this.position === this.end && !this.leftover) await this.expectEnd();
    return take === chunk.length ? chunk : chunk.subarray(0, take);
  }

  /** Gives back the last bytes `pull` returned (they are read again next). */
  unshift(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.leftover = this.leftover ? Buffer.concat([bytes, this.leftover]) : bytes;
    this.position -= bytes.length;
  }

  /** Exactly `length` bytes, as one buffer. */
  async read(length: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (let got = 0; got < length; ) {
      const piece = await this.pull(length - got);
      parts.push(piece);
      got += piece.length;
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts, length);
  }

  /** Passes exactly `length` bytes to `each`, piece by piece (flat memory for long copy ranges). */
  async forEach(length: number, each: (piece: Buffer) => Promise<void> | void): Promise<void> {
    for (let got = 0; got < length; ) {
      const piece = await this.pull(Math.min(length - got, READ_SIZE));
      got += piece.length;
      await each(piece);
    }
  }

  close(): void {
    this.stream?.destroy();
    this.stream = null;
    void this.chunks?.return?.().catch(() => undefined);
    this.chunks = null;
  }

  /** The range is read: its stream must end here (a stream with more is not the range asked for). */
  private async expectEnd(): Promise<void> {
    for (;;) {
      const next = await this.chunks!.next();
      if (next.done) return;
      if (toBuffer(next.value).length > 0) {
        throw new Error(`${this.entry.name}: the source range [${this.start}, ${this.end}) yielded more bytes than it holds`);
      }
    }
  }

  private async nextChunk(): Promise<Buffer> {
    if (!this.chunks) {
      this.stream = toReadable(await this.entry.openRange(this.start, this.end));
      this.stream.on("error", () => undefined); // the read loop sees it and rejects
      this.chunks = readInBlocks(this.stream, READ_SIZE)[Symbol.asyncIterator]();
    }
    for (;;) {
      const next = await this.chunks.next();
      if (next.done) {
        throw new Error(`${this.entry.name}: the source ended after ${this.start + this.received} of ${this.end} bytes (shorter than sourceBytes?)`);
      }
      const chunk = toBuffer(next.value);
      if (chunk.length === 0) continue;
      this.received += chunk.length;
      if (this.received > this.end - this.start) {
        throw new Error(`${this.entry.name}: the source range [${this.start}, ${this.end}) yielded more bytes than it holds`);
      }
      this.counted(chunk.length);
      return chunk;
    }
  }
}
