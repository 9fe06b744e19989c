/**
 * DiskObjectStore: the ObjectStore contract, plus what only the disk store
 * promises (HMAC-signed URLs for the files route, safe keys and configuration,
 * no empty directories or temp files left behind).
 */
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DiskObjectStore } from "@/lib/adapters/local/disk-object-store";
import { InvalidKeyError } from "@/lib/core/errors";
import { testObjectStore } from "@/test/contracts/object-store.contract";
import { sweepTempDirs } from "@/workers/temp-sweep";

const SECRET = "local-test-secret-0123456789abcdef";

async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "pep-local-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

describe("DiskObjectStore", () => {
  testObjectStore(async () => {
    const { dir, remove } = await tempDir();
    return {
      store: new DiskObjectStore({ root: dir, signingSecret: SECRET, publicBaseUrl: "http://localhost:3000/" }),
      cleanup: remove,
    };
  });

  describe("local behaviour", () => {
    let root: string;
    let remove: () => Promise<void>;
    let store: DiskObjectStore;

    beforeEach(async () => {
      ({ dir: root, remove } = await tempDir());
      store = new DiskObjectStore({ root, signingSecret: SECRET, publicBaseUrl: "http://localhost:3000" });
    });
    afterEach(async () => {
      await remove();
    });

    it("builds the URL the files route serves, HMAC-signed over key, exp and filename", async () => {
      const before = Math.floor(Date.now() / 1000);
      const url = new URL(await store.signedDownloadUrl("a b/c#d.zip", { filename: "é.zip", expiresInSeconds: 60 }));
      expect(url.origin + url.pathname).toBe("http://localhost:3000/api/files/a%20b/c%23d.zip");
      expect([...url.searchParams.keys()]).toEqual(["exp", "fn", "sig"]);
      const exp = Number(url.searchParams.get("exp"));
      expect(exp).toBeGreaterThanOrEqual(before + 60);
      expect(exp).toBeLessThanOrEqual(before + 62);
      expect(url.searchParams.get("fn")).toBe("é.zip");
      expect(url.searchParams.get("sig")).toMatch(/^[0-9a-f]{64}$/);
      // Another secret does not accept it.
      const other = new DiskObjectStore({ root, signingSecret: `${SECRET}-rotated`, publicBaseUrl: "http://localhost:3000" });
      expect(await other.verifySignedRequest("a b/c#d.zip", url.searchParams)).toBe("forbidden");
      // A repeated parameter is refused rather than guessed at.
      const doubled = new URLSearchParams(url.searchParams);
      doubled.append("fn", "other.zip");
      expect(await store.verifySignedRequest("a b/c#d.zip", doubled)).toBe("forbidden");
    });

    it("refuses unsafe configuration", () => {
      expect(() => new DiskObjectStore({ root: "relative/dir", signingSecret: SECRET, publicBaseUrl: "http://x" })).toThrow();
      expect(() => new DiskObjectStore({ root, signingSecret: "", publicBaseUrl: "http://x" })).toThrow();
      expect(() => new DiskObjectStore({ root, signingSecret: SECRET, publicBaseUrl: "not a url" })).toThrow();
    });

    it("rejects NUL, over-long and reserved keys", async () => {
      const longest = [...Array(4).fill("k".repeat(205)), "k".repeat(200)].join("/");
      expect(longest).toHaveLength(1024);
      for (const key of ["a\0b", `${longest}k`, `a/${"k".repeat(256)}`, ".tmp/x"]) {
        await expect(store.put(key, Buffer.from("x"))).rejects.toBeInstanceOf(InvalidKeyError);
      }
      await expect(store.put(longest, Buffer.from("x"))).resolves.toMatchObject({ bytes: 1 });
      await expect(store.list("../")).rejects.toBeInstanceOf(InvalidKeyError);
    });

    it("removes directories left empty by delete and deletePrefix, and cleans its temp files", async () => {
      await store.put("unload/exp_1/a/part_0.csv", Buffer.from("1"));
      await store.put("unload/exp_1/part_1.csv", Buffer.from("2"));
      await store.put("unload/exp_2/part_0.csv", Buffer.from("3"));
      await store.deletePrefix("unload/exp_1/");
      expect((await readdir(path.join(root, "unload"))).sort()).toEqual(["exp_2"]);
      await store.delete("unload/exp_2/part_0.csv");
      expect((await readdir(root)).filter((n) => n !== ".tmp")).toEqual([]);

      const failing = Readable.from(
        (async function* () {
          yield Buffer.from("partial");
          throw new Error("boom");
        })(),
      );
      await expect(store.put("x/y.bin", failing)).rejects.toThrow("boom");
      expect(await readdir(path.join(root, ".tmp"))).toEqual([]);
      await expect(stat(path.join(root, "x", "y.bin"))).rejects.toMatchObject({ code: "ENOENT" });
    });

    it("refuses a key that is both an object and a prefix, and ranges past the end", async () => {
      await store.put("a", Buffer.from("file"));
      await expect(store.put("a/b", Buffer.from("x"))).rejects.toMatchObject({ code: "key_conflict" });
      await expect(store.openRead("a", { start: 4, end: 10 })).rejects.toThrow(RangeError);
      await expect(store.openRead("a", { start: 3, end: 2 })).rejects.toThrow(RangeError);
      const clamped = await store.openRead("a", { start: 2, end: 100 });
      const chunks: Buffer[] = [];
      for await (const c of clamped) chunks.push(c as Buffer);
      expect(Buffer.concat(chunks).toString()).toBe("le");
    });
  });

  describe("multipart staging", () => {
    it("stages parts under the temp folder, where the worker's sweep removes an abandoned upload", async () => {
      const { dir: root, remove } = await tempDir();
      const store = new DiskObjectStore({ root, signingSecret: SECRET, publicBaseUrl: "http://localhost:3000" });
      const id = await store.startMultipart("archives/a.zip");
      await store.uploadPart("archives/a.zip", id, 1, Buffer.from("part"));
      const staged = path.join(root, ".tmp", `mpu-${id}`);
      expect((await stat(staged)).isDirectory()).toBe(true);
      // Fresh: kept. An hour untouched: swept, and the upload is gone for good.
      expect(await sweepTempDirs([path.join(root, ".tmp")], 3_600_000)).toEqual([]);
      expect(await sweepTempDirs([path.join(root, ".tmp")], 3_600_000, Date.now() + 3_600_001)).toEqual([staged]);
      await expect(store.uploadPart("archives/a.zip", id, 2, Buffer.from("x"))).rejects.toMatchObject({ code: "upload_missing" });
      await remove();
    });

    it("refuses an upload id that is not one of its own (it names a folder)", async () => {
      const { dir: root, remove } = await tempDir();
      const store = new DiskObjectStore({ root, signingSecret: SECRET, publicBaseUrl: "http://localhost:3000" });
      await expect(store.uploadPart("archives/a.zip", "../../etc", 1, Buffer.from("x"))).rejects.toBeInstanceOf(RangeError);
      await expect(store.completeMultipart("archives/a.zip", "../x", { parts: 1, bytes: 1 })).rejects.toBeInstanceOf(RangeError);
      await expect(store.copyPart("archives/a.zip", await store.startMultipart("archives/a.zip"), 1, "relative/path", { start: 0, end: 0 })).rejects.toThrow(/copy source/);
      await remove();
    });
  });
});
