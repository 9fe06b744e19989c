import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, rmdir, stat, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ObjectStore, SignedUrlOptions, StoredObject } from "@/lib/ports";
import { BackendError, InvalidKeyError, ObjectNotFoundError } from "@/lib/core/errors";
import { checkObjectKey, checkObjectKeyPrefix } from "@/lib/object-keys";

/** Where objects are written before being renamed into place; the worker sweeps what a crash left (workers/temp-sweep.ts). */
export const TMP_DIR = ".tmp";
/** NAME_MAX on Linux, macOS and Windows file systems. */
const MAX_SEGMENT_BYTES = 255;
/**
 * A multipart upload's staging folder inside TMP_DIR: its parts as files, joined on completion.
 * In TMP_DIR so the worker's temp sweep removes the folder of an upload abandoned for its max age
 * (a live resumable archive writes a part at least every few minutes).
 */
const STAGING_PREFIX = "mpu-";
const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAX_PARTS = 10_000;

export interface DiskObjectStoreOptions {
  /** Absolute directory holding the objects. */
  root: string;
  /** HMAC key for signed download URLs. */
  signingSecret: string;
  /** Origin (and base path) of the app that serves `/api/files/...`, e.g. http://localhost:3000. */
  publicBaseUrl: string;
}

/**
 * The object store for local mode: one file per key under `root`. Writes go to
 * a temp file and are renamed into place, so a reader sees the whole object or
 * none. Signed URLs are real HMAC tokens with an expiry, served by the app's
 * `/api/files/[...key]` route, so downloads take the same path as with S3.
 */
export class DiskObjectStore implements ObjectStore {
  private readonly root: string;
  private readonly secret: string;
  private readonly baseUrl: string;

  constructor(opts: DiskObjectStoreOptions) {
    if (!path.isAbsolute(opts.root)) throw new Error(`DiskObjectStore root must be absolute: ${opts.root}`);
    // An empty or short secret would make every signed URL forgeable.
    if (opts.signingSecret.length < 16) throw new Error("DiskObjectStore signingSecret must be at least 16 characters");
    const base = new URL(opts.publicBaseUrl);
    this.root = path.resolve(opts.root);
    this.secret = opts.signingSecret;
    this.baseUrl = base.toString().replace(/\/+$/, "");
  }

  /** The content type is not stored: the files route derives it from the key's extension. */
  async put(key: string, body: Readable | Buffer, _opts?: { contentType?: string }): Promise<StoredObject> {
    const target = this.pathOf(key);
    const tmpDir = path.join(this.root, TMP_DIR);
    await mkdir(tmpDir, { recursive: true });
    const tmp = path.join(tmpDir, randomUUID());
    try {
      if (Buffer.isBuffer(body)) await writeFile(tmp, body, { flag: "wx" });
      else await pipeline(body, createWriteStream(tmp, { flags: "wx" }));
      const { size } = await stat(tmp);
      await this.moveIntoPlace(tmp, target, key);
      return { key, bytes: size };
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async openRead(key: string, range?: { start: number; end: number }): Promise<Readable> {
    const file = this.pathOf(key);
    const handle = await open(file, "r").catch((err: unknown) => {
      throw isMissing(err) ? new ObjectNotFoundError(key) : err;
    });
    try {
      const info = await handle.stat();
      // A directory is only a shared key prefix, not an object (as on S3).
      if (!info.isFile()) throw new ObjectNotFoundError(key);
      if (!range) return handle.createReadStream();
      const { start, end } = range;
      if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || start >= info.size) {
        throw new RangeError(`range ${start}-${end} is not satisfiable for ${key} (${info.size} bytes)`);
      }
      return handle.createReadStream({ start, end: Math.min(end, info.size - 1) });
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async head(key: string): Promise<StoredObject | null> {
    const file = this.pathOf(key);
    try {
      const info = await stat(file);
      return info.isFile() ? { key, bytes: info.size } : null;
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async list(prefix: string): Promise<StoredObject[]> {
    checkObjectKeyPrefix(prefix);
    // Only the directory named by the prefix's complete segments can hold matches.
    const dirPart = prefix.includes("/") ? prefix.slice(0, prefix.lastIndexOf("/")) : "";
    const found: StoredObject[] = [];
    await this.walk(dirPart, prefix, found);
    // S3 lists in UTF-8 byte order; JS string order differs for characters beyond the BMP.
    return found.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
  }

  async delete(key: string): Promise<void> {
    const file = this.pathOf(key);
    try {
      await unlink(file);
    } catch (err) {
      // Missing, or a directory (a prefix, not an object): nothing to delete.
      if (isMissing(err) || errCode(err) === "EISDIR" || errCode(err) === "EPERM") return;
      throw err;
    }
    await this.pruneEmptyDirs(path.dirname(file));
  }

  async deletePrefix(prefix: string): Promise<number> {
    const objects = await this.list(prefix);
    let deleted = 0;
    const dirs = new Set<string>();
    for (const { key } of objects) {
      const file = this.pathOf(key);
      try {
        await unlink(file);
        deleted++;
      } catch (err) {
        if (!isMissing(err)) throw err; // deleted concurrently: not ours to count
      }
      dirs.add(path.dirname(file));
    }
    // Deepest first, so a parent is tried after its children are gone.
    const ordered = [...dirs].sort((a, b) => b.length - a.length);
    for (const dir of ordered) await this.pruneEmptyDirs(dir);
    return deleted;
  }

  async signedDownloadUrl(key: string, opts: SignedUrlOptions): Promise<string> {
    checkKey(key);
    if (!opts.filename) throw new Error("signedDownloadUrl: filename is required");
    if (!Number.isFinite(opts.expiresInSeconds) || opts.expiresInSeconds <= 0) {
      throw new RangeError("signedDownloadUrl: expiresInSeconds must be positive");
    }
    // Rounded up, so the URL lives at least the requested time.
    const exp = String(Math.ceil((Date.now() + opts.expiresInSeconds * 1000) / 1000));
    const query = new URLSearchParams({ exp, fn: opts.filename, sig: this.sign(key, exp, opts.filename).toString("hex") });
    return `${this.baseUrl}/api/files/${key.split("/").map(encodeURIComponent).join("/")}?${query}`;
  }

  async verifySignedRequest(
    key: string,
    query: URLSearchParams,
  ): Promise<{ key: string; filename: string } | "forbidden" | "not-served-here"> {
    try {
      checkKey(key);
    } catch {
      return "forbidden";
    }
    // Repeated parameters could make the route read a different value than the one signed.
    if (query.getAll("exp").length !== 1 || query.getAll("fn").length !== 1 || query.getAll("sig").length !== 1) {
      return "forbidden";
    }
    const exp = query.get("exp") ?? "";
    const fn = query.get("fn") ?? "";
    const sig = query.get("sig") ?? "";
    if (!/^\d{1,15}$/.test(exp) || fn === "" || !/^[0-9a-f]{64}$/.test(sig)) return "forbidden";
    if (!timingSafeEqual(this.sign(key, exp, fn), Buffer.from(sig, "hex"))) return "forbidden";
    if (Number(exp) * 1000 < Date.now()) return "forbidden";
    return { key, filename: fn };
  }

  /** Any size: a local file system has no minimum part. */
  readonly minPartBytes = 1;

  async startMultipart(key: string): Promise<string> {
    checkKey(key);
    const uploadId = randomUUID();
    const dir = this.stagingDir(uploadId);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, "key"), key);
    return uploadId;
  }

  async uploadPart(key: string, uploadId: string, partNumber: number, body: Buffer): Promise<void> {
    const name = partFile(partNumber);
    const dir = await this.openStaging(key, uploadId);
    // Written beside, then renamed over: a part rewritten after a crash is never half old, half new.
    const tmp = path.join(dir, `${randomUUID()}.part`);
    await writeFile(tmp, body, { flag: "wx" });
    await rename(tmp, path.join(dir, name));
  }

  copySourceOf(key: string): string {
    return this.pathOf(key);
  }

  async copyPart(key: string, uploadId: string, partNumber: number, source: string, range: { start: number; end: number }): Promise<void> {
    const name = partFile(partNumber);
    const dir = await this.openStaging(key, uploadId);
    if (!path.isAbsolute(source)) throw new Error(`copyPart: not a disk store's copy source: ${JSON.stringify(source)}`);
    const info = await stat(source).catch((err: unknown) => {
      throw isMissing(err) ? new ObjectNotFoundError(source) : err;
    });
    if (!info.isFile()) throw new ObjectNotFoundError(source);
    const { start, end } = range;
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end >= info.size) {
      throw new RangeError(`range ${start}-${end} is not within the copy source (${info.size} bytes)`);
    }
    const tmp = path.join(dir, `${randomUUID()}.part`);
    try {
      await pipeline(createReadStream(source, { start, end }), createWriteStream(tmp, { flags: "wx" }));
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    await rename(tmp, path.join(dir, name));
  }

  async completeMultipart(key: string, uploadId: string, expect: { parts: number; bytes: number }): Promise<StoredObject> {
    const target = this.pathOf(key);
    checkUploadId(uploadId);
    const dir = this.stagingDir(uploadId);
    const staged = await readFile(path.join(dir, "key"), "utf8").catch((err: unknown) => {
      if (isMissing(err)) return null;
      throw err;
    });
    if (staged === null) {
      // Completed before (the staging folder goes last) or never started: the object says which.
      const done = await this.head(key);
      if (done && done.bytes === expect.bytes) return done;
      throw new BackendError("upload_missing", `multipart upload ${uploadId} of ${key} is unknown and no complete object is there`, false);
    }
    if (staged !== key) throw new BackendError("upload_missing", `multipart upload ${uploadId} belongs to another key`, false);
    const files: string[] = [];
    let bytes = 0;
    for (let n = 1; n <= expect.parts; n++) {
      const file = path.join(dir, partFile(n));
      const info = await stat(file).catch(() => null);
      if (!info) throw new BackendError("upload_incomplete", `part ${n} of ${expect.parts} of ${key} was never uploaded`, false);
      files.push(file);
      bytes += info.size;
    }
    if (bytes !== expect.bytes) throw new BackendError("upload_incomplete", `the parts of ${key} hold ${bytes} bytes; expected ${expect.bytes}`, false);
    const joined = path.join(this.root, TMP_DIR, randomUUID());
    try {
      const out = createWriteStream(joined, { flags: "wx" });
      await pipeline(
        (async function* () {
          for (const file of files) yield* createReadStream(file);
        })(),
        out,
      );
      await this.moveIntoPlace(joined, target, key);
    } catch (err) {
      await rm(joined, { force: true });
      throw err;
    }
    // After the rename: a crash in between leaves the folder, and completing again joins the same parts.
    await rm(dir, { recursive: true, force: true });
    return { key, bytes };
  }

  async abortMultipart(key: string, uploadId: string): Promise<void> {
    checkKey(key);
    checkUploadId(uploadId);
    await rm(this.stagingDir(uploadId), { recursive: true, force: true });
  }

  private stagingDir(uploadId: string): string {
    return path.join(this.root, TMP_DIR, `${STAGING_PREFIX}${uploadId}`);
  }

  /** The upload's staging folder, after checking it exists and is for `key`. */
  private async openStaging(key: string, uploadId: string): Promise<string> {
    checkKey(key);
    checkUploadId(uploadId);
    const dir = this.stagingDir(uploadId);
    const staged = await readFile(path.join(dir, "key"), "utf8").catch((err: unknown) => {
      if (isMissing(err)) throw new BackendError("upload_missing", `multipart upload ${uploadId} of ${key} is unknown (aborted, completed or swept)`, false);
      throw err;
    });
    if (staged !== key) throw new BackendError("upload_missing", `multipart upload ${uploadId} belongs to another key`, false);
    return dir;
  }

  private sign(key: string, exp: string, filename: string): Buffer {
    return createHmac("sha256", this.secret).update(`${key}\n${exp}\n${filename}`).digest();
  }

  /** The file for `key`, after checking the key cannot escape the root. */
  private pathOf(key: string): string {
    checkKey(key);
    const file = path.resolve(this.root, key);
    if (!file.startsWith(this.root + path.sep)) throw new InvalidKeyError(key, "resolves outside the store");
    return file;
  }

  private async moveIntoPlace(tmp: string, target: string, key: string): Promise<void> {
    // A concurrent delete may prune the directory between mkdir and rename: recreate it and retry.
    for (let attempt = 0; ; attempt++) {
      try {
        await mkdir(path.dirname(target), { recursive: true });
        await rename(tmp, target);
        return;
      } catch (err) {
        const code = errCode(err);
        if (code === "ENOENT" && attempt < 3) continue;
        if (code === "ENOTDIR" || code === "EEXIST" || code === "EISDIR") {
          // On disk a key cannot be both an object and a prefix ("a" and "a/b").
          throw new BackendError("key_conflict", `object key ${key} conflicts with an existing object or prefix`, false, {
            cause: err,
          });
        }
        throw err;
      }
    }
  }

  private async walk(dirKey: string, prefix: string, out: StoredObject[]): Promise<void> {
    const dir = dirKey === "" ? this.root : path.join(this.root, dirKey);
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }
    for (const entry of entries) {
      if (dirKey === "" && entry.name === TMP_DIR) continue;
      const key = dirKey === "" ? entry.name : `${dirKey}/${entry.name}`;
      if (entry.isDirectory()) {
        // Descend only where keys can still match the prefix.
        if (`${key}/`.startsWith(prefix) || prefix.startsWith(`${key}/`)) await this.walk(key, prefix, out);
      } else if (entry.isFile() && key.startsWith(prefix)) {
        try {
          out.push({ key, bytes: (await stat(path.join(dir, entry.name))).size });
        } catch (err) {
          if (!isMissing(err)) throw err; // deleted while listing
        }
      }
    }
  }

  /** Removes `dir` and its parents while they are empty, never the root itself. */
  private async pruneEmptyDirs(dir: string): Promise<void> {
    let current = dir;
    while (current.startsWith(this.root + path.sep)) {
      try {
        await rmdir(current);
      } catch (err) {
        const code = errCode(err);
        if (code === "ENOTEMPTY" || code === "EEXIST") return;
        if (code !== "ENOENT") throw err;
      }
      current = path.dirname(current);
    }
  }
}

/** The shared key rules, plus what a file system adds: segment length and the reserved temp folder. */
function checkKey(key: string): void {
  const segments = checkObjectKey(key);
  // A segment is a file name on disk; S3 has no such limit, but no key we build comes near it.
  for (const s of segments) {
    if (Buffer.byteLength(s) > MAX_SEGMENT_BYTES) throw new InvalidKeyError(key, `has a segment longer than ${MAX_SEGMENT_BYTES} bytes`);
  }
  if (segments[0] === TMP_DIR) throw new InvalidKeyError(key, `"${TMP_DIR}/" is reserved`);
}

function checkUploadId(uploadId: string): void {
  if (!UPLOAD_ID.test(uploadId)) throw new RangeError(`not a multipart upload id of this store: ${JSON.stringify(uploadId)}`);
}

function partFile(partNumber: number): string {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PARTS) throw new RangeError(`part number must be 1..${MAX_PARTS}: ${partNumber}`);
  return String(partNumber).padStart(5, "0");
}

function errCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function isMissing(err: unknown): boolean {
  const code = errCode(err);
  return code === "ENOENT" || code === "ENOTDIR";
}
