import { Readable, Transform } from "node:stream";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  type S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { ObjectStore, SignedUrlOptions, StoredObject } from "@/lib/ports";
import { BackendError, ObjectNotFoundError } from "@/lib/core/errors";
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
  /** Parts per ListParts page when completing a multipart upload (S3's maximum and default: 1,000); tests page with less. */
  listPartsPageSize?: number;
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
  private readonly listPartsPageSize: number;
  readonly minPartBytes = MIN_PART_SIZE;

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
    this.listPartsPageSize = opts.listPartsPageSize ?? 1000;
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

  async startMultipart(key: string, opts: { contentType?: string } = {}): Promise<string> {
    checkObjectKey(key);
    const out = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: opts.contentType }));
    if (!out.UploadId) throw new Error(`S3 CreateMultipartUpload returned no upload id for ${key}`);
    return out.UploadId;
  }

  async uploadPart(key: string, uploadId: string, partNumber: number, body: Buffer): Promise<void> {
    checkObjectKey(key);
    checkPartNumber(partNumber);
    await this.client
      .send(new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: body, ContentLength: body.length }))
      .catch(uploadFault(key, uploadId));
  }

  /** `bucket/key`, URL-encoded as UploadPartCopy's CopySource wants it. */
  copySourceOf(key: string): string {
    checkObjectKey(key);
    return `${this.bucket}/${key.split("/").map(encodeURIComponent).join("/")}`;
  }

  async copyPart(key: string, uploadId: string, partNumber: number, source: string, range: { start: number; end: number }): Promise<void> {
    checkObjectKey(key);
    checkPartNumber(partNumber);
    const { start, end } = range;
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) throw new RangeError(`range ${start}-${end} is not valid`);
    try {
      await this.client.send(
        new UploadPartCopyCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: partNumber,
          CopySource: source,
          CopySourceRange: `bytes=${start}-${end}`,
        }),
      );
    } catch (err) {
      if (awsErrorName(err) === "NoSuchKey") throw new ObjectNotFoundError(source);
      if (awsErrorName(err) === "InvalidArgument" || awsErrorName(err) === "InvalidRange") throw new RangeError(`range ${start}-${end} is not within ${source}`);
      uploadFault(key, uploadId)(err);
    }
  }

  /**
   * Completes with the ETags S3 itself lists (ListParts, paged), so a resumed upload needs no
   * record of them. Once completed, S3 forgets the upload id: a second completion finds
   * NoSuchUpload and is recognised as done when the object is there with the expected size.
   */
  async completeMultipart(key: string, uploadId: string, expect: { parts: number; bytes: number }): Promise<StoredObject> {
    checkObjectKey(key);
    const alreadyDone = async (): Promise<StoredObject> => {
      const done = await this.head(key);
      if (done && done.bytes === expect.bytes) return done;
      throw new BackendError("upload_missing", `multipart upload ${uploadId} of ${key} is unknown and no complete object is there`, false);
    };
    const parts: { PartNumber: number; ETag: string; Size: number }[] = [];
    let marker: string | undefined;
    try {
      for (;;) {
        const out = await this.client.send(
          new ListPartsCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, MaxParts: this.listPartsPageSize, PartNumberMarker: marker }),
        );
        for (const p of out.Parts ?? []) parts.push({ PartNumber: p.PartNumber ?? 0, ETag: p.ETag ?? "", Size: p.Size ?? 0 });
        if (!out.IsTruncated) break;
        marker = out.NextPartNumberMarker;
        if (!marker) throw new Error(`S3 ListParts for ${key} is truncated without a next marker`);
      }
    } catch (err) {
      if (awsErrorName(err) === "NoSuchUpload") return alreadyDone();
      throw err;
    }
    const wanted = parts.filter((p) => p.PartNumber <= expect.parts).sort((a, b) => a.PartNumber - b.PartNumber);
    const bytes = wanted.reduce((n, p) => n + p.Size, 0);
    if (wanted.length !== expect.parts || wanted.some((p, i) => p.PartNumber !== i + 1)) {
      throw new BackendError("upload_incomplete", `${key}: S3 holds ${wanted.length} of the ${expect.parts} parts`, false);
    }
    if (bytes !== expect.bytes) throw new BackendError("upload_incomplete", `the parts of ${key} hold ${bytes} bytes; expected ${expect.bytes}`, false);
    try {
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: wanted.map(({ PartNumber, ETag }) => ({ PartNumber, ETag })) },
        }),
      );
    } catch (err) {
      if (awsErrorName(err) === "NoSuchUpload") return alreadyDone();
      if (awsErrorName(err) === "EntityTooSmall") throw new BackendError("upload_incomplete", `a part of ${key} other than the last is under 5 MiB`, false, { cause: err });
      throw err;
    }
    return { key, bytes };
  }

  async abortMultipart(key: string, uploadId: string): Promise<void> {
    checkObjectKey(key);
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }));
    } catch (err) {
      if (awsErrorName(err) !== "NoSuchUpload") throw err;
    }
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

function checkPartNumber(partNumber: number): void {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000) throw new RangeError(`part number must be 1..10000: ${partNumber}`);
}

/** An upload S3 no longer knows (aborted, completed, or dropped by the lifecycle rule) cannot take parts. */
function uploadFault(key: string, uploadId: string): (err: unknown) => never {
  return (err) => {
    if (awsErrorName(err) === "NoSuchUpload") throw new BackendError("upload_missing", `multipart upload ${uploadId} of ${key} is unknown (aborted, completed or expired)`, false, { cause: err });
    throw err;
  };
}
