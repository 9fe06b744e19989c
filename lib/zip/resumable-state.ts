// Running state the resumable writer saves in its checkpoints: the archive's SHA-256 (the CSV count's state is `CsvRecordCounter.save()`, in csv-count.ts).
import { createSHA256, type IHasher } from "hash-wasm";

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
