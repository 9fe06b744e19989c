/**
 * Sweeps the worker's scratch folders (issue 12, finding 13): a worker
 * killed with -9 leaves its archive's temp file (the disk store writes
 * objects to `.tmp/<uuid>` and renames them into place) and its zip spool
 * folder (`spool/zip-*`) behind, and nothing else ever removes them.
 *
 * Ownership is read from age: an entry none of whose files changed for
 * `maxAgeMs` belongs to no live archive, since a live one writes its temp
 * file and spool files continuously (a spooled part waits at most as long as
 * the archive's earlier entries take to copy, minutes, not the default hour).
 * Age rather than a process registry, because several worker processes may
 * share one data folder and a dead one cannot say what it owned.
 */
import { readdir, rm, stat } from "node:fs/promises";
import path from "node:path";

/** Newest mtime of `p` and everything under it (ms), or null when it is gone. */
async function newestChange(p: string, depth = 3): Promise<number | null> {
  const info = await stat(p).catch(() => null);
  if (!info) return null;
  let newest = info.mtimeMs;
  if (info.isDirectory() && depth > 0) {
    for (const name of await readdir(p).catch(() => [] as string[])) {
      const t = await newestChange(path.join(p, name), depth - 1);
      if (t !== null && t > newest) newest = t;
    }
  }
  return newest;
}

/** Removes every entry of `dirs` untouched for `maxAgeMs`. Returns the paths removed. */
export async function sweepTempDirs(dirs: readonly string[], maxAgeMs: number, now = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  for (const dir of dirs) {
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const entry = path.join(dir, name);
      const changed = await newestChange(entry);
      if (changed === null || now - changed < maxAgeMs) continue;
      await rm(entry, { recursive: true, force: true });
      removed.push(entry);
    }
  }
  return removed;
}
