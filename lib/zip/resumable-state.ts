// Running state the resumable writer saves in its checkpoints: the archive's SHA-256 (the CSV count's state is `CsvRecordCounter.save()`, in csv-count.ts).
import { createHash } from "node:crypto";
import { createSHA256 } from "hash-wasm";

/**
 * The archive's SHA-256, in one of two kinds. Saveable: hash-wasm, whose `save()` is the
 * compression function's registers plus the unprocessed tail of the last block, a few hundred
 * bytes, so an archive hashed across runs carries on where the last checkpoint was. One go:
 * node:crypto, several times faster (OpenSSL uses the CPU's SHA instructions, which wasm cannot
 * reach) but its state cannot leave the process, so `save()` gives null.
 */
export class ArchiveHash {
  private constructor(
    /** Hashes more archive bytes. */
    readonly update: (chunk: Buffer) => void,
    /** The state to resume from, base64; null for a one-go hash. */
    readonly save: () => string | null,
    /** Hex digest; the hash cannot be used after it. */
    readonly digest: () => string,
  ) {}

  /** `oneGo` (node:crypto) applies to a fresh hash only: a saved state always loads into hash-wasm. */
  static async create(saved: string | null, oneGo = false): Promise<ArchiveHash> {
    if (oneGo && saved === null) {
      const hash = createHash("sha256");
      return new ArchiveHash(
        (chunk) => hash.update(chunk),
        () => null,
        () => hash.digest("hex"),
      );
    }
    const hasher = await createSHA256();
    hasher.init();
    if (saved !== null) hasher.load(Buffer.from(saved, "base64"));
    return new ArchiveHash(
      (chunk) => hasher.update(chunk),
      () => Buffer.from(hasher.save()).toString("base64"),
      () => hasher.digest("hex"),
    );
  }
}
