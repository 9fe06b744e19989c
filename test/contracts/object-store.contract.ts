/**
 * Contract for `ObjectStore` (lib/ports.ts), run by the disk store and by S3.
 */
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ObjectStore } from "@/lib/ports";
import { BackendError, InvalidKeyError, ObjectNotFoundError } from "@/lib/core/errors";

type MakeObjectStore = () => Promise<{ store: ObjectStore; cleanup: () => Promise<void> }>;

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** Deterministic pseudo-random bytes, so a shifted or repeated chunk cannot go unnoticed. */
function bytesAt(offset: number, length: number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    const n = offset + i;
    b[i] = (n * 2654435761 + (n >>> 7)) & 0xff;
  }
  return b;
}

function generatedStream(total: number, chunk = 64 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let at = 0; at < total; at += chunk) yield bytesAt(at, Math.min(chunk, total - at));
    })(),
  );
}

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** The object key named by a URL served under /api/files/ (percent-decoded per segment). */
function keyFromUrl(url: URL): string | null {
  const marker = "/api/files/";
  const at = url.pathname.indexOf(marker);
  if (at < 0) return null;
  return url.pathname
    .slice(at + marker.length)
    .split("/")
    .map(decodeURIComponent)
    .join("/");
}

export function testObjectStore(make: MakeObjectStore): void {
  describe("ObjectStore contract", () => {
    let store: ObjectStore;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ store, cleanup } = await make());
    });
    afterEach(async () => {
      await cleanup();
    });

    describe("put and read", () => {
      it("round-trips a Buffer and reports its size", async () => {
        const body = Buffer.from("id,name\n1,Rosé 🌷\n");
        expect(await store.put("exports/sup_a/small.csv", body, { contentType: "text/csv" })).toEqual({
          key: "exports/sup_a/small.csv",
          bytes: body.length,
        });
        expect(await readAll(await store.openRead("exports/sup_a/small.csv"))).toEqual(body);
        expect(await store.head("exports/sup_a/small.csv")).toEqual({ key: "exports/sup_a/small.csv", bytes: body.length });
      });

      it("round-trips a 5 MB stream", async () => {
        const size = 5 * 1024 * 1024 + 123;
        const expected = sha256(await readAll(generatedStream(size)));
        expect(await store.put("big/archive.zip", generatedStream(size), { contentType: "application/zip" })).toEqual({
          key: "big/archive.zip",
          bytes: size,
        });
        expect(await store.head("big/archive.zip")).toEqual({ key: "big/archive.zip", bytes: size });
        expect(sha256(await readAll(await store.openRead("big/archive.zip")))).toBe(expected);
      });

      it("stores an empty object", async () => {
        expect(await store.put("empty.bin", Buffer.alloc(0))).toEqual({ key: "empty.bin", bytes: 0 });
        expect(await readAll(await store.openRead("empty.bin"))).toEqual(Buffer.alloc(0));
      });

      it("overwrites an existing key", async () => {
        await store.put("k.txt", Buffer.from("first version, longer"));
        await store.put("k.txt", Buffer.from("second"));
        expect((await readAll(await store.openRead("k.txt"))).toString()).toBe("second");
        expect(await store.head("k.txt")).toEqual({ key: "k.txt", bytes: 6 });
      });

      it("reads inclusive ranges", async () => {
        const body = bytesAt(0, 1000);
        await store.put("r.bin", body);
        expect(await readAll(await store.openRead("r.bin", { start: 10, end: 19 }))).toEqual(body.subarray(10, 20));
        expect(await readAll(await store.openRead("r.bin", { start: 0, end: 0 }))).toEqual(body.subarray(0, 1));
        expect(await readAll(await store.openRead("r.bin", { start: 990, end: 999 }))).toEqual(body.subarray(990));
        expect(await readAll(await store.openRead("r.bin", { start: 0, end: 999 }))).toEqual(body);
      });

      it("never shows a partial object while a put is streaming", async () => {
        let releaseRest!: () => void;
        const rest = new Promise<void>((r) => (releaseRest = r));
        let firstChunkTaken!: () => void;
        const started = new Promise<void>((r) => (firstChunkTaken = r));
        const body = Readable.from(
          (async function* () {
            yield bytesAt(0, 64 * 1024);
            firstChunkTaken();
            await rest;
            yield bytesAt(64 * 1024, 64 * 1024);
          })(),
        );
        const putting = store.put("slow/part.bin", body);
        await started;
        expect(await store.head("slow/part.bin")).toBeNull();
        expect(await store.list("slow/")).toEqual([]);
        await expect(store.openRead("slow/part.bin")).rejects.toBeInstanceOf(ObjectNotFoundError);
        releaseRest();
        expect(await putting).toEqual({ key: "slow/part.bin", bytes: 128 * 1024 });
        expect(await store.head("slow/part.bin")).toEqual({ key: "slow/part.bin", bytes: 128 * 1024 });
      });

      it("leaves nothing behind when the body stream fails", async () => {
        const body = Readable.from(
          (async function* () {
            yield bytesAt(0, 1024);
            throw new Error("upstream broke");
          })(),
        );
        await expect(store.put("broken/part.bin", body)).rejects.toThrow("upstream broke");
        expect(await store.head("broken/part.bin")).toBeNull();
        expect(await store.list("")).toEqual([]);
      });
    });

    describe("missing objects", () => {
      it("openRead throws ObjectNotFoundError and head returns null", async () => {
        await expect(store.openRead("nope/missing.zip")).rejects.toBeInstanceOf(ObjectNotFoundError);
        await expect(store.openRead("nope/missing.zip", { start: 0, end: 10 })).rejects.toBeInstanceOf(ObjectNotFoundError);
        expect(await store.head("nope/missing.zip")).toBeNull();
      });

      it("a prefix of other keys is not an object", async () => {
        await store.put("dir/inner.txt", Buffer.from("x"));
        expect(await store.head("dir")).toBeNull();
        await expect(store.openRead("dir")).rejects.toBeInstanceOf(ObjectNotFoundError);
      });
    });

    describe("list", () => {
      it("lists by prefix, recursively, in key order", async () => {
        for (const key of ["b/2.csv", "a/2.csv", "a/10.csv", "a/1.csv", "a/sub/x.csv", "ab.csv", "abc/z.csv"]) {
          await store.put(key, Buffer.from(key));
        }
        const keys = async (prefix: string) => (await store.list(prefix)).map((o) => o.key);
        expect(await keys("a/")).toEqual(["a/1.csv", "a/10.csv", "a/2.csv", "a/sub/x.csv"]);
        expect(await keys("a")).toEqual(["a/1.csv", "a/10.csv", "a/2.csv", "a/sub/x.csv", "ab.csv", "abc/z.csv"]);
        expect(await keys("a/1")).toEqual(["a/1.csv", "a/10.csv"]);
        expect(await keys("")).toEqual(["a/1.csv", "a/10.csv", "a/2.csv", "a/sub/x.csv", "ab.csv", "abc/z.csv", "b/2.csv"]);
        expect(await keys("zzz/")).toEqual([]);
        expect(await store.list("a/sub/")).toEqual([{ key: "a/sub/x.csv", bytes: "a/sub/x.csv".length }]);
      });
    });

    describe("delete", () => {
      it("deletes one object and is a no-op for a missing one", async () => {
        await store.put("d/one.txt", Buffer.from("1"));
        await store.put("d/two.txt", Buffer.from("2"));
        await store.delete("d/one.txt");
        expect(await store.head("d/one.txt")).toBeNull();
        expect(await store.head("d/two.txt")).not.toBeNull();
        await expect(store.delete("d/one.txt")).resolves.toBeUndefined();
        await expect(store.delete("never/was.txt")).resolves.toBeUndefined();
      });

      it("deletePrefix removes everything under the prefix and counts it", async () => {
        for (const key of ["unload/exp_1/part_0.csv", "unload/exp_1/part_1.csv", "unload/exp_1/sub/manifest.json", "unload/exp_10/part_0.csv", "keep.txt"]) {
          await store.put(key, Buffer.from(key));
        }
        expect(await store.deletePrefix("unload/exp_1/")).toBe(3);
        expect((await store.list("")).map((o) => o.key)).toEqual(["keep.txt", "unload/exp_10/part_0.csv"]);
        expect(await store.deletePrefix("unload/exp_1/")).toBe(0);
        // The put after a prefix delete still works in the same "directory".
        await store.put("unload/exp_1/part_0.csv", Buffer.from("again"));
        expect(await store.head("unload/exp_1/part_0.csv")).toEqual({ key: "unload/exp_1/part_0.csv", bytes: 5 });
      });
    });

    describe("keys", () => {
      const invalid = ["../x", "/abs", "a//b", "a/../b", "a\\b", "a/./b", "", "x/"];
      it.each(invalid)("rejects the key %j", async (key) => {
        await expect(store.put(key, Buffer.from("x"))).rejects.toBeInstanceOf(InvalidKeyError);
        await expect(store.head(key)).rejects.toBeInstanceOf(InvalidKeyError);
        await expect(store.openRead(key)).rejects.toBeInstanceOf(InvalidKeyError);
        await expect(store.delete(key)).rejects.toBeInstanceOf(InvalidKeyError);
        await expect(store.signedDownloadUrl(key, { filename: "x.zip", expiresInSeconds: 60 })).rejects.toBeInstanceOf(
          InvalidKeyError,
        );
      });

      it("accepts spaces, unicode and URL metacharacters in a segment", async () => {
        const key = "exports/sup a/Rosé #1 ?&=%.zip";
        await store.put(key, Buffer.from("ok"));
        expect(await store.head(key)).toEqual({ key, bytes: 2 });
        expect((await store.list("exports/")).map((o) => o.key)).toEqual([key]);
      });
    });

    describe("multipart uploads", () => {
      // Parts at the store's minimum (5 MiB on S3), so the layout is one real S3 accepts.
      const partOf = (n: number, size: number) => bytesAt(n * 4099, size);

      it("joins uploaded and copied parts into one object that appears only when completed", async () => {
        const min = Math.max(store.minPartBytes, 1024);
        const source = Buffer.concat([bytesAt(0, 1000), bytesAt(100_000, min), bytesAt(200_000, 777)]);
        await store.put("unload/exp/part_000.csv", source);
        const key = "archives/sup_a/exp.zip";
        const id = await store.startMultipart(key, { contentType: "application/zip" });
        const one = partOf(1, min);
        await store.uploadPart(key, id, 1, one);
        // The middle of the source, server-side: its bytes never pass through this process.
        await store.copyPart(key, id, 2, store.copySourceOf("unload/exp/part_000.csv"), { start: 1000, end: 1000 + min - 1 });
        const last = Buffer.from("the last part may be small");
        await store.uploadPart(key, id, 3, last);
        expect(await store.head(key)).toBeNull();
        const expected = Buffer.concat([one, source.subarray(1000, 1000 + min), last]);
        expect(await store.completeMultipart(key, id, { parts: 3, bytes: expected.length })).toEqual({ key, bytes: expected.length });
        expect(sha256(await readAll(await store.openRead(key)))).toBe(sha256(expected));
        expect(await store.list("archives/")).toEqual([{ key, bytes: expected.length }]);
      });

      it("replaces a part uploaded again under the same number, as a resumed delivery does", async () => {
        const min = Math.max(store.minPartBytes, 1024);
        const key = "archives/again.zip";
        const id = await store.startMultipart(key);
        await store.uploadPart(key, id, 1, partOf(9, min));
        const first = partOf(1, min);
        await store.uploadPart(key, id, 1, first);
        await store.uploadPart(key, id, 2, Buffer.from("end"));
        await store.completeMultipart(key, id, { parts: 2, bytes: min + 3 });
        // Hashes, not toEqual: a deep comparison of 5 MiB buffers takes the better part of a minute.
        expect(sha256(await readAll(await store.openRead(key)))).toBe(sha256(Buffer.concat([first, Buffer.from("end")])));
      });

      it("recognises an upload completed before (a crash before the caller recorded it) as done", async () => {
        const key = "archives/twice.zip";
        const id = await store.startMultipart(key);
        await store.uploadPart(key, id, 1, Buffer.from("only part"));
        const done = await store.completeMultipart(key, id, { parts: 1, bytes: 9 });
        expect(await store.completeMultipart(key, id, { parts: 1, bytes: 9 })).toEqual(done);
        // Not when the object there is something else: that upload's result is gone.
        await expect(store.completeMultipart(key, id, { parts: 1, bytes: 10 })).rejects.toBeInstanceOf(BackendError);
      });

      it("refuses to complete with a part missing, and then shows no object", async () => {
        const min = Math.max(store.minPartBytes, 1024);
        const key = "archives/gap.zip";
        const id = await store.startMultipart(key);
        await store.uploadPart(key, id, 1, partOf(1, min));
        await store.uploadPart(key, id, 3, Buffer.from("x"));
        await expect(store.completeMultipart(key, id, { parts: 3, bytes: min * 2 + 1 })).rejects.toMatchObject({ code: "upload_incomplete", retryable: false });
        expect(await store.head(key)).toBeNull();
        await store.abortMultipart(key, id);
      });

      it("aborting drops the parts: the upload can neither take parts nor complete afterwards", async () => {
        const key = "archives/aborted.zip";
        const id = await store.startMultipart(key);
        await store.uploadPart(key, id, 1, Buffer.from("abc"));
        await store.abortMultipart(key, id);
        await store.abortMultipart(key, id); // a no-op the second time
        await expect(store.uploadPart(key, id, 2, Buffer.from("d"))).rejects.toMatchObject({ code: "upload_missing" });
        await expect(store.completeMultipart(key, id, { parts: 1, bytes: 3 })).rejects.toMatchObject({ code: "upload_missing" });
        expect(await store.head(key)).toBeNull();
        expect(await store.list("")).toEqual([]);
      });

      it("copyPart refuses a missing source and a range beyond it", async () => {
        const key = "archives/copyfail.zip";
        await store.put("unload/small.csv", Buffer.from("0123456789"));
        const id = await store.startMultipart(key);
        await expect(store.copyPart(key, id, 1, store.copySourceOf("unload/none.csv"), { start: 0, end: 3 })).rejects.toBeInstanceOf(ObjectNotFoundError);
        await expect(store.copyPart(key, id, 1, store.copySourceOf("unload/small.csv"), { start: 5, end: 10 })).rejects.toBeInstanceOf(RangeError);
        await store.copyPart(key, id, 1, store.copySourceOf("unload/small.csv"), { start: 5, end: 9 });
        await store.completeMultipart(key, id, { parts: 1, bytes: 5 });
        expect((await readAll(await store.openRead(key))).toString()).toBe("56789");
      });

      it("refuses part numbers outside 1..10000", async () => {
        const id = await store.startMultipart("archives/n.zip");
        await expect(store.uploadPart("archives/n.zip", id, 0, Buffer.from("x"))).rejects.toBeInstanceOf(RangeError);
        await expect(store.uploadPart("archives/n.zip", id, 10_001, Buffer.from("x"))).rejects.toBeInstanceOf(RangeError);
        await store.abortMultipart("archives/n.zip", id);
      });
    });

    describe("signed download URLs", () => {
      const key = "archives/sup a/Rosé #1.zip";
      const filename = "acmeflowers inventory – Rosé.zip";
      const body = Buffer.from("PK\u0003\u0004 pretend zip");

      beforeEach(async () => {
        await store.put(key, body, { contentType: "application/zip" });
      });

      /** What verifySignedRequest says about `url` (the key taken from its path when it has one). */
      async function verify(url: URL, keyOverride?: string) {
        return store.verifySignedRequest(keyOverride ?? keyFromUrl(url) ?? key, url.searchParams);
      }

      it("downloads the object as an attachment, or verifies to it when this app serves it", async () => {
        const url = new URL(await store.signedDownloadUrl(key, { filename, expiresInSeconds: 300 }));
        const verdict = await verify(url);
        if (verdict === "not-served-here") {
          const res = await fetch(url);
          expect(res.status).toBe(200);
          expect(Buffer.from(await res.arrayBuffer())).toEqual(body);
          expect(res.headers.get("content-disposition")).toMatch(/^attachment/);
          return;
        }
        expect(keyFromUrl(url)).toBe(key);
        expect(verdict).toEqual({ key, filename });
      });

      it("refuses tampered, foreign and expired URLs", async () => {
        const url = new URL(await store.signedDownloadUrl(key, { filename, expiresInSeconds: 300 }));
        const withParam = (u: URL, name: string, value: string | null): URL => {
          const out = new URL(u.href);
          if (value === null) out.searchParams.delete(name);
          else out.searchParams.set(name, value);
          return out;
        };
        const sigParam = [...url.searchParams.keys()].find((k) => /sig/i.test(k));
        expect(sigParam, "the URL carries a signature").toBeDefined();
        const sig = url.searchParams.get(sigParam!) ?? "";
        const flipped = sig.slice(0, -1) + (sig.endsWith("0") ? "1" : "0");
        const shortLived = new URL(await store.signedDownloadUrl(key, { filename, expiresInSeconds: 1 }));

        if ((await verify(url)) === "not-served-here") {
          // Whoever serves the URL (S3) enforces the signature: check it over HTTP.
          const status = async (u: URL) => {
            const res = await fetch(u);
            await res.arrayBuffer();
            return res.status;
          };
          expect(await status(withParam(url, sigParam!, flipped))).toBe(403);
          expect(await status(withParam(url, sigParam!, null))).toBeGreaterThanOrEqual(400);
          const deadline = Date.now() + 10_000;
          while ((await status(shortLived)) !== 403) {
            expect(Date.now(), "a 1 s URL must expire").toBeLessThan(deadline);
            await new Promise((r) => setTimeout(r, 200));
          }
          return;
        }

        expect(await verify(withParam(url, sigParam!, flipped))).toBe("forbidden");
        expect(await verify(withParam(url, sigParam!, null))).toBe("forbidden");
        expect(await verify(withParam(url, "fn", "evil.exe"))).toBe("forbidden");
        expect(await verify(withParam(url, "fn", null))).toBe("forbidden");
        expect(await verify(withParam(url, "exp", String(Number(url.searchParams.get("exp")) + 3600)))).toBe("forbidden");
        expect(await verify(url, "archives/sup a/other.zip")).toBe("forbidden");
        expect(await verify(url, "../archives/sup a/Rosé #1.zip")).toBe("forbidden");
        // The untouched URL still verifies: the refusals above came from the tampering.
        expect(await verify(url)).toEqual({ key, filename });

        expect(await verify(shortLived)).toEqual({ key, filename });
        const deadline = Date.now() + 10_000;
        while ((await verify(shortLived)) !== "forbidden") {
          expect(Date.now(), "a 1 s URL must expire").toBeLessThan(deadline);
          await new Promise((r) => setTimeout(r, 200));
        }
      });
    });
  });
}
