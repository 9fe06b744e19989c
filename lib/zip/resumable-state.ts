// Running state the resumable writer saves in its checkpoints: the archive's SHA-256 and an entry's CSV count.
import { createSHA256, type IHasher } from "hash-wasm";
import type { CsvBlockCount } from "./csv-count";

/**
 * SHA-256 whose state survives a process: hash-wasm's `save()` is the compression function's
 * registers plus the unprocessed tail of the last block, a few hundred bytes; node:crypto's hash
 * cannot be saved, so an archive hashed across runs needs this one.
 */
export class ArchiveHash {
  private constructor(private readonly hasher: IHasher) {}

  static async create(saved: string | null): Promise<ArchiveHash> {
    const hasher = await createSHA256();
    hasher.init();
    if (saved !== null) hasher.load(Buffer.from(saved, "base64"));
    return new ArchiveHash(hasher);
  }

  update(chunk: Buffer): void {
    this.hasher.update(chunk);
  }

  save(): string {
    return Buffer.from(this.hasher.save()).toString("base64");
  }

  /** Hex digest; the hash cannot be used after it. */
  digest(): string {
    return this.hasher.digest("hex");
  }
}

/**
 * The same chaining as `CsvRecordCounter` (csv-count.ts), with a state that can be saved:
 * [inQuotes 0/1, boundaries, last byte or -1].
 */
export class SavableCsvCounter {
  private inQuotes: boolean;
  private boundaries: number;
  private lastByte: number;

  constructor(saved: [number, number, number] | null = null) {
    this.inQuotes = saved ? saved[0] === 1 : false;
    this.boundaries = saved ? saved[1] : 0;
    this.lastByte = saved ? saved[2] : -1;
  }

  add(count: CsvBlockCount, block: Buffer): void {
    this.boundaries += this.inQuotes ? count.newlines - count.newlinesOutside : count.newlinesOutside;
    if (count.quotes % 2 === 1) this.inQuotes = !this.inQuotes;
    if (block.length > 0) this.lastByte = block[block.length - 1];
  }

  get records(): number {
    return this.boundaries + (this.lastByte !== -1 && this.lastByte !== 0x0a ? 1 : 0);
  }

  save(): [number, number, number] {
    return [this.inQuotes ? 1 : 0, this.boundaries, this.lastByte];
  }
}
