import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DiskObjectStore } from "@/lib/adapters/local/disk-object-store";
import { contentDisposition } from "@/lib/object-keys";
import { serveObject } from "./serve-object";

describe("serveObject", () => {
  let root: string;
  let store: DiskObjectStore;
  const body = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "serve-object-"));
    store = new DiskObjectStore({ root, signingSecret: "test-secret-0123456789", publicBaseUrl: "http://localhost:3000" });
    await store.put("archives/exp_1.zip", body);
    await store.put("parts/data.parquet", Buffer.from("PAR1"));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("serves the whole object with download headers", async () => {
    const res = await serveObject(store, "archives/exp_1.zip", "inventory.zip", null);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/zip");
    expect(res.headers.get("content-length")).toBe("256");
    expect(res.headers.get("accept-ranges")).toBe("bytes");
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="inventory.zip"; filename*=UTF-8''inventory.zip`);
    expect(res.headers.get("content-range")).toBeNull();
    expect(Buffer.from(await res.arrayBuffer())).toEqual(body);
  });

  it("uses application/octet-stream for anything but a zip", async () => {
    const res = await serveObject(store, "parts/data.parquet", "data.parquet", null);
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expect(await res.text()).toBe("PAR1");
  });

  it("serves a single range as 206 with Content-Range", async () => {
    const res = await serveObject(store, "archives/exp_1.zip", "inventory.zip", "bytes=10-19");
    expect(res.status).toBe(206);
    expect(res.headers.get("content-range")).toBe("bytes 10-19/256");
    expect(res.headers.get("content-length")).toBe("10");
    expect(Buffer.from(await res.arrayBuffer())).toEqual(body.subarray(10, 20));

    const tail = await serveObject(store, "archives/exp_1.zip", "inventory.zip", "bytes=-6");
    expect(tail.status).toBe(206);
    expect(tail.headers.get("content-range")).toBe("bytes 250-255/256");
    expect(Buffer.from(await tail.arrayBuffer())).toEqual(body.subarray(250));
  });

  it("answers 416 with the size for a range past the end", async () => {
    const res = await serveObject(store, "archives/exp_1.zip", "inventory.zip", "bytes=256-");
    expect(res.status).toBe(416);
    expect(res.headers.get("content-range")).toBe("bytes */256");
    expect(await res.text()).toBe("");
  });

  it("ignores a multi-range header and sends everything", async () => {
    const res = await serveObject(store, "archives/exp_1.zip", "inventory.zip", "bytes=0-1,4-5");
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(body);
  });

  it("answers 404 JSON for a missing object", async () => {
    const res = await serveObject(store, "archives/gone.zip", "gone.zip", null);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "not_found" } });
  });

  it("offers a UTF-8 filename with an ASCII fallback, and cannot be used to inject headers", async () => {
    const res = await serveObject(store, "archives/exp_1.zip", 'Rosé "spring" 🌷.zip', null);
    expect(res.headers.get("content-disposition")).toBe(
      `attachment; filename="Rose _spring_ _.zip"; filename*=UTF-8''Ros%C3%A9%20%22spring%22%20%F0%9F%8C%B7.zip`,
    );
    await res.arrayBuffer();
    expect(contentDisposition("a\r\nSet-Cookie: x=1.zip")).toBe(
      `attachment; filename="aSet-Cookie: x=1.zip"; filename*=UTF-8''aSet-Cookie%3A%20x%3D1.zip`,
    );
    expect(contentDisposition("it's (1)*.zip")).toBe(`attachment; filename="it's (1)*.zip"; filename*=UTF-8''it%27s%20%281%29%2A.zip`);
  });
});
