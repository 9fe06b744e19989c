// Spool files: compressed entries that wait behind the archive's head (the entry-level window).
import { type FileHandle, mkdir, mkdtemp, open, rm } from "node:fs/promises";
import path from "node:path";

const SPOOL_READ_CHUNK = 256 * 1024;

/** One archive's spool folder, created on first use under `root` and removed by `remove()`. */
export class SpoolFolder {
  private folder: Promise<string> | null = null;

  constructor(private readonly root: string) {}

  /**
   * Runs `fill` with a writer into a new spool file named after `index` and returns what `fill`
   * returned plus the file's path. `before` runs once the folder exists (an abort check).
   */
  async write<T>(index: number, before: () => void, fill: (write: (chunk: Buffer) => Promise<void>) => Promise<T>): Promise<T & { file: string }> {
    const folder = await this.directory();
    before();
    const file = path.join(folder, `${index}.part`);
    const handle = await open(file, "wx");
    try {
      return { ...(await fill((chunk) => writeFully(handle, chunk))), file };
    } finally {
      await handle.close();
    }
  }

  /** Copies a finished spool file into `emit`, then deletes it. */
  async drain(file: string, emit: (chunk: Buffer) => Promise<void>): Promise<void> {
    const handle = await open(file, "r");
    try {
      for (;;) {
        // A fresh buffer per read: the output stream keeps what it is given until it is consumed.
        const buffer = Buffer.allocUnsafe(SPOOL_READ_CHUNK);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
        if (bytesRead === 0) break;
        await emit(buffer.subarray(0, bytesRead));
      }
    } finally {
      await handle.close();
    }
    await rm(file, { force: true });
  }

  /** Removes the folder and whatever is left in it; a folder never created is a no-op. */
  async remove(): Promise<void> {
    if (!this.folder) return;
    const folder = await this.folder.catch(() => null);
    if (folder) await rm(folder, { recursive: true, force: true });
  }

  private directory(): Promise<string> {
    // The spool root may not exist yet on a fresh machine or Lambda container.
    this.folder ??= mkdir(this.root, { recursive: true }).then(() => mkdtemp(path.join(this.root, "zip-")));
    return this.folder;
  }
}

async function writeFully(handle: FileHandle, chunk: Buffer): Promise<void> {
  for (let at = 0; at < chunk.length; ) {
    const { bytesWritten } = await handle.write(chunk, at, chunk.length - at);
    at += bytesWritten;
  }
}
