import { Readable, Transform } from "node:stream";
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { ObjectStore, SignedUrlOptions, StoredObject } from "@/lib/ports";
import { ObjectNotFoundError } from "@/lib/core/errors";
import { checkObjectKey, checkObjectKeyPrefix, contentDisposition } from "@/lib/object-keys";
import { awsErrorName, awsHttpStatus } from "./aws-errors";
import { resolveClient, type ClientSource } from "./clients";

/** S3's own limits: keys up to 1024 UTF-8 bytes, 1000 keys per DeleteObjects, presigned URLs up to 7 days. */
const DELETE_BATCH = 1000;
const MAX_PRESIGN_SECONDS = 7 * 86_400;
/** S3's minimum multipart part size. */
const MIN_PART_SIZE = 5 * 1024 * 1024;

export interface S3ObjectStoreOptions {
  client: ClientSource<S3Client>;
  bucket: string;
  /**
   * Size of each multipart part. Memory use of a `put` is about
   * `partSize * queueSize`, whatever the object's size. Default 16 MiB, which
   * allows objects up to 160 GB (10,000 parts).
   */
  partSize?: number;
  /** Parts uploaded at once. Default 2. */
  queueSize?: number;
}

/**
 * The ObjectStore port on Amazon S3. Writes are multipart uploads fed by the
 * stream (`@aws-sdk/lib-storage`), so an archive of any size passes through
 * in constant memory and appears whole or not at all: S3 shows the object
 * only when the upload completes, and a failed body aborts the upload.
 * Downloads are presigned GET URLs that S3 serves itself.
 */
export class S3ObjectStore implements ObjectStore {
  private readonly source: ClientSource<S3Client>;
  private readonly bucket: string;
  private readonly partSize: number;
  private readonly queueSize: number;

  constructor(opts: S3ObjectStoreOptions) {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(opts.bucket)) throw new Error(`S3ObjectStore: not a valid bucket name: ${JSON.stringify(opts.bucket)}`);
    const partSize = opts.partSize ?? 16 * 1024 * 1024;
    if (!Number.isInteger(partSize) || partSize < MIN_PART_SIZE) throw new RangeError(`partSize must be an integer >= ${MIN_PART_SIZE}`);
    const queueSize = opts.queueSize ?? 2;
    if (!Number.isInteger(queueSize) || queueSize < 1) throw new RangeError("queueSize must be a positive integer");
    this.source = opts.client;
    this.bucket = opts.bucket;
    this.partSize = partSize;
    this.queueSize = queueSize;
  }

  private get client(): S3Client {
    return resolveClient(this.source);
  }

  async put(key: string, body: Readable | Buffer, opts: { contentType?: string } = {}): Promise<StoredObject> {
    checkObjectKey(key);
    let bytes = 0;
    let payload: Readable | Buffer = body;
    if (Buffer.isBuffer(body)) {
      bytes = body.length;
    } else {
      // Counted on the way, so the size is known without a HEAD after the upload.
      const counter = new Transform({
        transform(chunk: Buffer, _enc, done) {
          bytes += chunk.length;
          done(null, chunk);
        },
      });
      body.once("error", (err) => counter.destroy(err));
      payload = body.pipe(counter);
    }
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: payload, ContentType: opts.contentType },
      partSize: this.partSize,
      queueSize: this.queueSize,
      // A failed upload aborts the multipart upload: no invisible parts left to pay for.
      leavePartsOnError: false,
    });
    await upload.done();
    return { key, bytes };
  }

  async openRead(key: string, range?: { start: number; end: number }): Promise<Readable> {
    checkObjectKey(key);
    if (range) {
      const { start, end } = range;
      if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
        throw new RangeError(`range ${start}-${end} is not valid for ${key}`);
      }
    }
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range ? `bytes=${range.start}-${range.end}` : undefined }),
      );
      if (!out.Body) throw new Error(`S3 GetObject returned no body for ${key}`);
      return out.Body as Readable;
    } catch (err) {
      if (isMissing(err)) throw new ObjectNotFoundError(key);
      if (awsErrorName(err) === "InvalidRange" || awsHttpStatus(err) === 416) {
        throw new RangeError(`range ${range?.start}-${range?.end} is not satisfiable for ${key}`);
      }
      throw err;
    }
  }

  async head(key: string): Promise<StoredObject | null> {
    checkObjectKey(key);
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { key, bytes: out.ContentLength ?? 0 };
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async list(prefix: string): Promise<StoredObject[]> {
    checkObjectKeyPrefix(prefix);
    const found: StoredObject[] = [];
    let token: string | undefined;
    do {
      const out = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix === "" ? undefined : prefix, ContinuationToken: token }),
      );
      for (const o of out.Contents ?? []) {
        if (o.Key !== undefined) found.push({ key: o.Key, bytes: o.Size ?? 0 });
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    // S3 lists in UTF-8 byte order; sorting again keeps the promise with S3-compatible stores that do not.
    return found.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
  }

  async delete(key: string): Promise<void> {
    checkObjectKey(key);
    // S3 answers 204 for a missing key too.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async deletePrefix(prefix: string): Promise<number> {
    const keys = (await this.list(prefix)).map((o) => o.key);
    let deleted = 0;
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      const out = await this.client.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
      );
      const errors = out.Errors ?? [];
      if (errors.length > 0) {
        const first = errors[0]!;
        throw new Error(`S3 could not delete ${errors.length} object(s) under ${prefix}, e.g. ${first.Key}: ${first.Code} ${first.Message}`);
      }
      deleted += batch.length;
    }
    return deleted;
  }

  async signedDownloadUrl(key: string, opts: SignedUrlOptions): Promise<string> {
    checkObjectKey(key);
    if (!opts.filename) throw new Error("signedDownloadUrl: filename is required");
    const expiresIn = Math.ceil(opts.expiresInSeconds);
    if (!Number.isFinite(opts.expiresInSeconds) || expiresIn <= 0 || expiresIn > MAX_PRESIGN_SECONDS) {
      throw new RangeError(`signedDownloadUrl: expiresInSeconds must be between 1 and ${MAX_PRESIGN_SECONDS}`);
    }
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ResponseContentDisposition: contentDisposition(opts.filename),
    });
    return getSignedUrl(this.client, command, { expiresIn });
  }

  /** S3 checks its own presigned URLs; this app never serves them. */
  async verifySignedRequest(): Promise<"not-served-here"> {
    return "not-served-here";
  }
}


function isMissing(err: unknown): boolean {
  const name = awsErrorName(err);
  return name === "NoSuchKey" || name === "NotFound" || (name !== "NoSuchBucket" && awsHttpStatus(err) === 404);
}

