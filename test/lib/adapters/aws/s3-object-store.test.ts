/**
 * The ObjectStore contract on S3 (s3rver behind a SigV4-checking gate, so
 * presigned URLs are verified as S3 would), and the download headers.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3ObjectStore } from "@/lib/adapters/aws/s3-object-store";
import { contentDisposition } from "@/lib/object-keys";
import { testObjectStore } from "@/test/contracts/object-store.contract";
import { createBucket, startS3 } from "@/test/support/emulators";
import { verifyPresigned } from "@/test/support/sigv4-gate";

let s3: Awaited<ReturnType<typeof startS3>>;

beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => {
  await s3.stop();
});

describe("S3ObjectStore", () => {
  testObjectStore(async () => {
    const bucket = await createBucket(s3.client);
    // The smallest part size S3 allows, so the 5 MB contract object is a real multipart upload.
    return { store: new S3ObjectStore({ client: s3.client, bucket: bucket.name, partSize: 5 * 1024 * 1024, queueSize: 2 }), cleanup: bucket.drop };
  });

  it("offers the download under a readable name, with an exact UTF-8 name for browsers that read it", async () => {
    const bucket = await createBucket(s3.client);
    const store = new S3ObjectStore({ client: s3.client, bucket: bucket.name });
    await store.put("archives/sup_rose/exp_1.zip", Buffer.from("zip bytes"));
    const filename = 'product_inventory-sup_rose-2025-03-01 "Rosé" 🌷.zip';
    const res = await fetch(await store.signedDownloadUrl("archives/sup_rose/exp_1.zip", { filename, expiresInSeconds: 60 }));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("zip bytes");
    const header = res.headers.get("content-disposition")!;
    expect(header).toBe(contentDisposition(filename));
    expect(header).toMatch(/^attachment; filename="product_inventory-sup_rose-2025-03-01 _Rose_ _.zip"; filename\*=UTF-8''/);
    const encoded = /filename\*=UTF-8''(.+)$/.exec(header)![1]!;
    expect(decodeURIComponent(encoded)).toBe(filename);
    await bucket.drop();
  });

  it("refuses expiries S3 cannot sign", async () => {
    const store = new S3ObjectStore({ client: s3.client, bucket: "any-bucket" });
    await expect(store.signedDownloadUrl("a.zip", { filename: "a.zip", expiresInSeconds: 0 })).rejects.toBeInstanceOf(RangeError);
    await expect(store.signedDownloadUrl("a.zip", { filename: "a.zip", expiresInSeconds: 8 * 86_400 })).rejects.toBeInstanceOf(RangeError);
  });
});

describe("S3ObjectStore multipart uploads (S3's rules, as the gate enforces them)", () => {
  const MiB = 1024 * 1024;

  it("completes from ListParts paged past one page, whatever the page size", async () => {
    const bucket = await createBucket(s3.client);
    const store = new S3ObjectStore({ client: s3.client, bucket: bucket.name, listPartsPageSize: 2 });
    const key = "archives/paged.zip";
    const id = await store.startMultipart(key);
    const parts = [Buffer.alloc(5 * MiB, 1), Buffer.alloc(5 * MiB, 2), Buffer.alloc(5 * MiB, 3), Buffer.alloc(5 * MiB, 4), Buffer.from("tail")];
    // Out of order, as parallel or resumed uploads may send them.
    for (const n of [3, 1, 5, 2, 4]) await store.uploadPart(key, id, n, parts[n - 1]!);
    const bytes = parts.reduce((n, p) => n + p.length, 0);
    expect(await store.completeMultipart(key, id, { parts: 5, bytes })).toEqual({ key, bytes });
    const got = await store.openRead(key, { start: 5 * MiB - 1, end: 5 * MiB });
    const chunks: Buffer[] = [];
    for await (const c of got) chunks.push(c as Buffer);
    expect([...Buffer.concat(chunks)]).toEqual([1, 2]);
    await bucket.drop();
  });

  it("refuses a layout real S3 refuses: a part other than the last under 5 MiB", async () => {
    const bucket = await createBucket(s3.client);
    const store = new S3ObjectStore({ client: s3.client, bucket: bucket.name });
    const key = "archives/small-part.zip";
    const id = await store.startMultipart(key);
    await store.uploadPart(key, id, 1, Buffer.alloc(5 * MiB - 1, 7));
    await store.uploadPart(key, id, 2, Buffer.from("tail"));
    await expect(store.completeMultipart(key, id, { parts: 2, bytes: 5 * MiB + 3 })).rejects.toMatchObject({ code: "upload_incomplete", retryable: false });
    expect(await store.head(key)).toBeNull();
    expect(store.minPartBytes).toBe(5 * MiB);
    await store.abortMultipart(key, id);
    await bucket.drop();
  });

  it("copies a part from another bucket server-side (UploadPartCopy)", async () => {
    const unloads = await createBucket(s3.client);
    const archives = await createBucket(s3.client);
    const from = new S3ObjectStore({ client: s3.client, bucket: unloads.name });
    const to = new S3ObjectStore({ client: s3.client, bucket: archives.name });
    await from.put("unload/exp 1/part_000.csv.gz", Buffer.from("0123456789abcdef"));
    const id = await to.startMultipart("archives/x.zip");
    await to.copyPart("archives/x.zip", id, 1, from.copySourceOf("unload/exp 1/part_000.csv.gz"), { start: 4, end: 11 });
    await to.completeMultipart("archives/x.zip", id, { parts: 1, bytes: 8 });
    const chunks: Buffer[] = [];
    for await (const c of await to.openRead("archives/x.zip")) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe("456789ab");
    await unloads.drop();
    await archives.drop();
  });
});

describe("the SigV4 gate in front of s3rver", () => {
  it("accepts the SDK's presigned URL and refuses a changed path, parameter or host", async () => {
    const bucket = await createBucket(s3.client);
    const store = new S3ObjectStore({ client: s3.client, bucket: bucket.name });
    await store.put("k/a b.zip", Buffer.from("x"));
    const url = new URL(await store.signedDownloadUrl("k/a b.zip", { filename: "a.zip", expiresInSeconds: 60 }));
    const secrets = { S3RVER: "S3RVER" };
    const check = (u: URL, host = u.host) => verifyPresigned("GET", u.pathname, u.search.slice(1), { host }, secrets);
    expect(check(url)).toEqual({ ok: true });
    const otherKey = new URL(url.href);
    otherKey.pathname = otherKey.pathname.replace("a%20b", "a%20c");
    expect(check(otherKey)).toMatchObject({ ok: false, code: "SignatureDoesNotMatch" });
    const otherName = new URL(url.href);
    otherName.searchParams.set("response-content-disposition", "attachment; filename=evil.exe");
    expect(check(otherName)).toMatchObject({ ok: false, code: "SignatureDoesNotMatch" });
    expect(check(url, "evil.test")).toMatchObject({ ok: false, code: "SignatureDoesNotMatch" });
    expect(verifyPresigned("GET", url.pathname, url.search.slice(1), { host: url.host }, secrets, Date.now() + 61_000)).toMatchObject({
      ok: false,
      code: "AccessDenied",
    });
    await bucket.drop();
  });
});
