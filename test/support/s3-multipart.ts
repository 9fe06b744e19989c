/**
 * S3 multipart uploads for the SigV4 gate, answered by the gate itself in
 * front of s3rver. s3rver answers UploadPartCopy with NotImplemented, has no
 * ListParts and no AbortMultipartUpload, and completes an upload whatever its
 * part sizes, so a part layout real S3 refuses (a non-last part under 5 MiB)
 * would pass every test. Here: CreateMultipartUpload, UploadPart,
 * UploadPartCopy (the range is read from s3rver, so the copy source is a real
 * object), ListParts (paged by max-parts / part-number-marker), Complete
 * (ETags checked, EntityTooSmall, InvalidPart, InvalidPartOrder; the object
 * is then written to s3rver with one PUT, so it appears whole) and Abort,
 * with S3's error codes. Parts live in a temp folder until completion.
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";

/** S3's smallest part, except the last. */
export const S3_MIN_PART_BYTES = 5 * 1024 * 1024;

interface Part {
  size: number;
  etag: string;
  lastModified: string;
  file: string;
}

interface Upload {
  /** The raw (still percent-encoded) request path: /bucket/key. */
  rawPath: string;
  bucket: string;
  key: string;
  contentType: string | undefined;
  parts: Map<number, Part>;
}

const XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/";

function xmlEscape(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function sendXml(res: http.ServerResponse, status: number, body: string, headers: http.OutgoingHttpHeaders = {}): void {
  const text = `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
  res.writeHead(status, { "content-type": "application/xml", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendError(res: http.ServerResponse, status: number, code: string, message: string): void {
  sendXml(res, status, `<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error>`);
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** One plain (unsigned) request to s3rver, which serves anonymous requests. */
function upstreamRequest(upstream: URL, method: string, rawPath: string, headers: http.OutgoingHttpHeaders = {}): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: upstream.hostname, port: upstream.port, method, path: rawPath, headers }, resolve);
    req.on("error", reject);
    req.end();
  });
}

export interface MultipartEmulator {
  /** True when it answered the request (a multipart operation); false to let the gate forward it. */
  handle(req: http.IncomingMessage, res: http.ServerResponse, rawPath: string, rawQuery: string): boolean;
  close(): Promise<void>;
}

export async function createMultipartEmulator(upstreamUrl: string): Promise<MultipartEmulator> {
  const upstream = new URL(upstreamUrl);
  const dir = await mkdtemp(path.join(os.tmpdir(), "pep-s3-mpu-"));
  const uploads = new Map<string, Upload>();

  const splitPath = (rawPath: string) => {
    const [, bucket = "", ...rest] = rawPath.split("/");
    return { bucket: decodeURIComponent(bucket), key: rest.map(decodeURIComponent).join("/") };
  };

  function uploadOf(res: http.ServerResponse, uploadId: string | null, rawPath: string): Upload | null {
    const upload = uploadId ? uploads.get(uploadId) : undefined;
    if (!upload || upload.rawPath !== rawPath) {
      sendError(res, 404, "NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.");
      return null;
    }
    return upload;
  }

  function partNumberOf(res: http.ServerResponse, q: URLSearchParams): number | null {
    const n = Number(q.get("partNumber"));
    if (!Number.isInteger(n) || n < 1 || n > 10_000) {
      sendError(res, 400, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive");
      return null;
    }
    return n;
  }

  /** Streams `body` into a new part file, hashing it (the ETag is its MD5, as S3's for a plain part). */
  async function storePart(upload: Upload, n: number, body: http.IncomingMessage, limit?: number): Promise<Part> {
    const file = path.join(dir, `${randomBytes(8).toString("hex")}.part`);
    const md5 = createHash("md5");
    let size = 0;
    await pipeline(
      body,
      async function* (source: AsyncIterable<Buffer | string>) {
        for await (const chunk of source) {
          // s3rver reads some ranges as "to the end" (see clipRange in sigv4-gate.ts): keep what was asked.
          const buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
          const piece = limit === undefined ? buf : buf.subarray(0, Math.max(0, limit - size));
          if (piece.length === 0) continue;
          size += piece.length;
          md5.update(piece);
          yield piece;
        }
      },
      createWriteStream(file),
    );
    const old = upload.parts.get(n);
    if (old) await rm(old.file, { force: true });
    const part = { size, etag: `"${md5.digest("hex")}"`, lastModified: new Date().toISOString(), file };
    upload.parts.set(n, part);
    return part;
  }

  async function create(req: http.IncomingMessage, res: http.ServerResponse, rawPath: string): Promise<void> {
    req.resume();
    const { bucket, key } = splitPath(rawPath);
    const head = await upstreamRequest(upstream, "HEAD", `/${encodeURIComponent(bucket)}`);
    head.resume();
    if (head.statusCode === 404) return sendError(res, 404, "NoSuchBucket", "The specified bucket does not exist");
    const uploadId = randomBytes(16).toString("hex");
    const contentType = req.headers["content-type"];
    uploads.set(uploadId, { rawPath, bucket, key, contentType: typeof contentType === "string" ? contentType : undefined, parts: new Map() });
    sendXml(
      res,
      200,
      `<InitiateMultipartUploadResult xmlns="${XMLNS}"><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`,
    );
  }

  async function uploadPart(req: http.IncomingMessage, res: http.ServerResponse, upload: Upload, n: number): Promise<void> {
    const part = await storePart(upload, n, req);
    res.writeHead(200, { etag: part.etag, "content-length": 0 });
    res.end();
  }

  /** UploadPartCopy: the range is read from s3rver (the source object as it is), then kept as the part. */
  async function copyPart(req: http.IncomingMessage, res: http.ServerResponse, upload: Upload, n: number): Promise<void> {
    req.resume();
    const source = String(req.headers["x-amz-copy-source"]);
    const sourcePath = `/${source.replace(/^\//, "").split("?")[0]}`;
    const head = await upstreamRequest(upstream, "HEAD", sourcePath);
    head.resume();
    if (head.statusCode === 404) return sendError(res, 404, "NoSuchKey", "The specified key does not exist.");
    if (head.statusCode !== 200) return sendError(res, 502, "InternalError", `HEAD of the copy source answered ${head.statusCode}`);
    const size = Number(head.headers["content-length"]);
    const rangeHeader = req.headers["x-amz-copy-source-range"];
    let start = 0;
    let end = size - 1;
    if (rangeHeader !== undefined) {
      const m = /^bytes=(\d+)-(\d+)$/.exec(String(rangeHeader));
      if (!m || Number(m[1]) > Number(m[2]) || Number(m[2]) >= size) {
        return sendError(res, 400, "InvalidArgument", `Range specified is not valid for source object of size: ${size}`);
      }
      start = Number(m[1]);
      end = Number(m[2]);
    }
    const got = await upstreamRequest(upstream, "GET", sourcePath, { range: `bytes=${start}-${end}` });
    if (got.statusCode !== 206 && got.statusCode !== 200) {
      got.resume();
      return sendError(res, 502, "InternalError", `GET of the copy source answered ${got.statusCode}`);
    }
    const part = await storePart(upload, n, got, end - start + 1);
    if (part.size !== end - start + 1) return sendError(res, 500, "InternalError", `copied ${part.size} bytes of ${end - start + 1}`);
    sendXml(res, 200, `<CopyPartResult xmlns="${XMLNS}"><LastModified>${part.lastModified}</LastModified><ETag>${xmlEscape(part.etag)}</ETag></CopyPartResult>`);
  }

  function listParts(req: http.IncomingMessage, res: http.ServerResponse, upload: Upload, uploadId: string, q: URLSearchParams): void {
    req.resume();
    const maxParts = Math.min(1000, Number(q.get("max-parts") ?? 1000) || 1000);
    const marker = Number(q.get("part-number-marker") ?? 0) || 0;
    const numbers = [...upload.parts.keys()].filter((n) => n > marker).sort((a, b) => a - b);
    const page = numbers.slice(0, maxParts);
    const truncated = numbers.length > page.length;
    const parts = page
      .map((n) => {
        const p = upload.parts.get(n)!;
        return `<Part><PartNumber>${n}</PartNumber><LastModified>${p.lastModified}</LastModified><ETag>${xmlEscape(p.etag)}</ETag><Size>${p.size}</Size></Part>`;
      })
      .join("");
    sendXml(
      res,
      200,
      `<ListPartsResult xmlns="${XMLNS}"><Bucket>${xmlEscape(upload.bucket)}</Bucket><Key>${xmlEscape(upload.key)}</Key><UploadId>${uploadId}</UploadId>` +
        `<PartNumberMarker>${marker}</PartNumberMarker><NextPartNumberMarker>${page.at(-1) ?? marker}</NextPartNumberMarker><MaxParts>${maxParts}</MaxParts>` +
        `<IsTruncated>${truncated}</IsTruncated>${parts}</ListPartsResult>`,
    );
  }

  async function complete(req: http.IncomingMessage, res: http.ServerResponse, upload: Upload, uploadId: string): Promise<void> {
    const body = await readBody(req);
    const listed = [...body.matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map((m) => ({
      n: Number(/<PartNumber>(\d+)<\/PartNumber>/.exec(m[1]!)?.[1]),
      etag: (/<ETag>([\s\S]*?)<\/ETag>/.exec(m[1]!)?.[1] ?? "").replace(/&quot;|&#34;|"/g, ""),
    }));
    if (listed.length === 0) return sendError(res, 400, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema.");
    const chosen: Part[] = [];
    for (let i = 0; i < listed.length; i++) {
      const { n, etag } = listed[i]!;
      if (i > 0 && n <= listed[i - 1]!.n) return sendError(res, 400, "InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number.");
      const part = upload.parts.get(n);
      if (!part || part.etag.replace(/"/g, "") !== etag) {
        return sendError(res, 400, "InvalidPart", "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not have matched the part's entity tag.");
      }
      chosen.push(part);
    }
    if (chosen.some((p, i) => i < chosen.length - 1 && p.size < S3_MIN_PART_BYTES)) {
      return sendError(res, 400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.");
    }
    const total = chosen.reduce((n, p) => n + p.size, 0);
    const put = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const headers: http.OutgoingHttpHeaders = { "content-length": total };
      if (upload.contentType) headers["content-type"] = upload.contentType;
      const out = http.request({ host: upstream.hostname, port: upstream.port, method: "PUT", path: upload.rawPath, headers }, resolve);
      out.on("error", reject);
      (async () => {
        for (const p of chosen) for await (const chunk of createReadStream(p.file)) if (!out.write(chunk)) await new Promise((r) => out.once("drain", r));
        out.end();
      })().catch((err: unknown) => out.destroy(err as Error));
    });
    put.resume();
    if (put.statusCode !== 200) return sendError(res, 502, "InternalError", `s3rver refused the joined object (${put.statusCode})`);
    uploads.delete(uploadId);
    await Promise.all([...upload.parts.values()].map((p) => rm(p.file, { force: true })));
    // S3's multipart ETag: the MD5 of the parts' MD5s, then "-" and the part count.
    const md5s = Buffer.concat(chosen.map((p) => Buffer.from(p.etag.replace(/"/g, ""), "hex")));
    const etag = `"${createHash("md5").update(md5s).digest("hex")}-${chosen.length}"`;
    sendXml(
      res,
      200,
      `<CompleteMultipartUploadResult xmlns="${XMLNS}"><Location>${xmlEscape(upstreamUrl + upload.rawPath)}</Location><Bucket>${xmlEscape(upload.bucket)}</Bucket>` +
        `<Key>${xmlEscape(upload.key)}</Key><ETag>${xmlEscape(etag)}</ETag></CompleteMultipartUploadResult>`,
    );
  }

  async function abort(req: http.IncomingMessage, res: http.ServerResponse, upload: Upload, uploadId: string): Promise<void> {
    req.resume();
    uploads.delete(uploadId);
    await Promise.all([...upload.parts.values()].map((p) => rm(p.file, { force: true })));
    res.writeHead(204);
    res.end();
  }

  async function route(req: http.IncomingMessage, res: http.ServerResponse, rawPath: string, q: URLSearchParams): Promise<void> {
    const method = req.method ?? "GET";
    if (method === "POST" && q.has("uploads")) return create(req, res, rawPath);
    const uploadId = q.get("uploadId");
    const upload = uploadOf(res, uploadId, rawPath);
    if (!upload) {
      req.resume();
      return;
    }
    if (method === "PUT") {
      const n = partNumberOf(res, q);
      if (n === null) {
        req.resume();
        return;
      }
      return "x-amz-copy-source" in req.headers ? copyPart(req, res, upload, n) : uploadPart(req, res, upload, n);
    }
    if (method === "GET") return listParts(req, res, upload, uploadId!, q);
    if (method === "POST") return complete(req, res, upload, uploadId!);
    if (method === "DELETE") return abort(req, res, upload, uploadId!);
    req.resume();
    sendError(res, 405, "MethodNotAllowed", "The specified method is not allowed against this resource.");
  }

  return {
    handle(req, res, rawPath, rawQuery) {
      const q = new URLSearchParams(rawQuery);
      if (!q.has("uploads") && !q.has("uploadId")) return false;
      // Only object paths (/bucket/key): ListMultipartUploads on a bucket is left to s3rver.
      if (rawPath.split("/").filter(Boolean).length < 2) return false;
      route(req, res, rawPath, q).catch((err: unknown) => {
        if (!res.headersSent) sendError(res, 500, "InternalError", String(err));
        else res.destroy();
      });
      return true;
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}
