/**
 * A reverse proxy in front of s3rver that checks presigned (query-string
 * SigV4) URLs the way S3 does. s3rver checks the expiry of a presigned URL
 * but not its V4 signature, so without this gate a tampered URL would still
 * download, and the object-store contract could not tell a signing bug from
 * a working store. Header-signed SDK calls pass through unchecked: only the
 * URLs handed to browsers matter here. It also corrects one s3rver range bug
 * (see `clipRange`), and answers multipart uploads itself, with UploadPartCopy,
 * ListParts, Abort and S3's 5 MiB part minimum (see ./s3-multipart.ts).
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createMultipartEmulator } from "./s3-multipart";

export interface SigV4Gate {
  /** Base URL clients should use instead of the upstream's. */
  url: string;
  close(): Promise<void>;
}

/** RFC 3986 encoding, as SigV4 canonicalises URI segments and query parameters. */
function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data, "utf8").digest();

/** Parses `a=1&b=2` keeping every pair, percent-decoded (not `+`-decoded: SigV4 encodes spaces as %20). */
function queryPairs(rawQuery: string): Array<[string, string]> {
  if (rawQuery === "") return [];
  return rawQuery.split("&").map((part) => {
    const eq = part.indexOf("=");
    const k = eq < 0 ? part : part.slice(0, eq);
    const v = eq < 0 ? "" : part.slice(eq + 1);
    return [decodeURIComponent(k), decodeURIComponent(v)];
  });
}

type Verdict = { ok: true } | { ok: false; code: string; message: string };

/** Checks one presigned request; `now` in ms. */
export function verifyPresigned(
  method: string,
  rawPath: string,
  rawQuery: string,
  headers: http.IncomingHttpHeaders,
  secrets: Record<string, string>,
  now = Date.now(),
): Verdict {
  const pairs = queryPairs(rawQuery);
  const get = (name: string): string | undefined => {
    const found = pairs.filter(([k]) => k === name);
    return found.length === 1 ? found[0]![1] : undefined;
  };
  const algorithm = get("X-Amz-Algorithm");
  const credential = get("X-Amz-Credential");
  const amzDate = get("X-Amz-Date");
  const expires = get("X-Amz-Expires");
  const signedHeaders = get("X-Amz-SignedHeaders");
  const signature = get("X-Amz-Signature");
  if (algorithm !== "AWS4-HMAC-SHA256" || !credential || !amzDate || !expires || !signedHeaders || !signature) {
    return { ok: false, code: "AuthorizationQueryParametersError", message: "Query-string authentication version 4 requires the X-Amz-* parameters." };
  }
  const [accessKeyId, date, region, service, terminator] = credential.split("/");
  const secret = accessKeyId ? secrets[accessKeyId] : undefined;
  if (!secret || !date || !region || !service || terminator !== "aws4_request") {
    return { ok: false, code: "InvalidAccessKeyId", message: "The AWS Access Key Id you provided does not exist in our records." };
  }
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!m || !/^\d+$/.test(expires) || amzDate.slice(0, 8) !== date) {
    return { ok: false, code: "AuthorizationQueryParametersError", message: "X-Amz-Date or X-Amz-Expires is malformed." };
  }
  const signedAt = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  if (now > signedAt + Number(expires) * 1000) return { ok: false, code: "AccessDenied", message: "Request has expired" };

  const canonicalUri = rawPath
    .split("/")
    .map((segment) => rfc3986(decodeURIComponent(segment)))
    .join("/");
  const canonicalQuery = pairs
    .filter(([k]) => k !== "X-Amz-Signature")
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([ka, va], [kb, vb]) => (ka === kb ? (va < vb ? -1 : 1) : ka < kb ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const names = signedHeaders.split(";");
  const canonicalHeaders = names
    .map((name) => {
      const value = headers[name];
      return `${name}:${(Array.isArray(value) ? value.join(",") : (value ?? "")).trim().replace(/\s+/g, " ")}\n`;
    })
    .join("");
  const canonicalRequest = [method, canonicalUri, canonicalQuery, canonicalHeaders, signedHeaders, "UNSIGNED-PAYLOAD"].join("\n");
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, createHash("sha256").update(canonicalRequest).digest("hex")].join("\n");
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), "aws4_request");
  const expected = hmac(key, stringToSign);
  const given = /^[0-9a-f]{64}$/.test(signature) ? Buffer.from(signature, "hex") : Buffer.alloc(0);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, code: "SignatureDoesNotMatch", message: "The request signature we calculated does not match the signature you provided." };
  }
  return { ok: true };
}

/**
 * s3rver reads `Range: bytes=N-0` as "to the end" (`end || Infinity`), so a
 * request for the first byte gets the whole object. S3 answers the range
 * asked for; when s3rver overshoots, the gate cuts its answer to that range.
 */
function clipRange(
  range: string | undefined,
  status: number | undefined,
  headers: http.IncomingHttpHeaders,
): { contentRange: string; length: number } | null {
  const asked = range ? /^bytes=(\d+)-(\d+)$/.exec(range) : null;
  const given = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(String(headers["content-range"] ?? ""));
  if (status !== 206 || !asked || !given) return null;
  const start = Number(asked[1]);
  const end = Math.min(Number(asked[2]), Number(given[3]) - 1);
  if (Number(given[1]) !== start || Number(given[2]) <= end) return null;
  return { contentRange: `bytes ${start}-${end}/${given[3]}`, length: end - start + 1 };
}

/** Starts the gate on 127.0.0.1 (random port), forwarding to `upstream`. */
export async function startSigV4Gate(upstream: string, secrets: Record<string, string>): Promise<SigV4Gate> {
  const target = new URL(upstream);
  const multipart = await createMultipartEmulator(upstream);
  const server = http.createServer((req, res) => {
    const raw = req.url ?? "/";
    const q = raw.indexOf("?");
    const rawPath = q < 0 ? raw : raw.slice(0, q);
    const rawQuery = q < 0 ? "" : raw.slice(q + 1);
    if (/(^|&)X-Amz-Algorithm=/.test(rawQuery)) {
      const verdict = verifyPresigned(req.method ?? "GET", rawPath, rawQuery, req.headers, secrets);
      if (!verdict.ok) {
        res.writeHead(verdict.code === "AuthorizationQueryParametersError" ? 400 : 403, { "content-type": "application/xml" });
        res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${verdict.code}</Code><Message>${verdict.message}</Message></Error>`);
        req.resume();
        return;
      }
    }
    if (multipart.handle(req, res, rawPath, rawQuery)) return;
    const forward = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: raw, headers: { ...req.headers, host: target.host } },
      (upstreamRes) => {
        const clipped = clipRange(req.headers.range, upstreamRes.statusCode, upstreamRes.headers);
        if (!clipped) {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
          return;
        }
        res.writeHead(206, { ...upstreamRes.headers, "content-range": clipped.contentRange, "content-length": String(clipped.length) });
        let left = clipped.length;
        upstreamRes.on("data", (chunk: Buffer) => {
          if (left > 0) res.write(chunk.subarray(0, left));
          left -= Math.min(left, chunk.length);
        });
        upstreamRes.on("end", () => res.end());
      },
    );
    forward.on("error", (err) => {
      if (!res.headersSent) res.writeHead(502);
      res.end(String(err));
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : multipart.close().then(resolve, reject)));
      }),
  };
}
