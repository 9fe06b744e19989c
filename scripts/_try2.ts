import fs from "node:fs";
import zlib from "node:zlib";
import { Readable } from "node:stream";
import { createZipArchive } from "../lib/zip";
const csv = fs.readFileSync("/tmp/pi.csv");
const gz = zlib.gzipSync(csv);
fs.writeFileSync("/tmp/pi.csv.gz", gz);
console.log("csv", csv.length, "gz", gz.length);
function cpu<T>(label: string, f: () => Promise<T>) {
  return async () => {
    const c0 = process.cpuUsage(); const t0 = performance.now();
    await f();
    const c = process.cpuUsage(c0);
    console.log(label.padEnd(40), "wall", ((performance.now() - t0) / 1000).toFixed(2), "cpu", ((c.user + c.system) / 1e6).toFixed(2));
  };
}
async function inflateStream(chunkSize?: number) {
  const inf = zlib.createGunzip(chunkSize ? { chunkSize } : {});
  let n = 0;
  inf.on("data", (d: Buffer) => { n += d.length; zlib.crc32(d); });
  const done = new Promise((r) => inf.on("end", r));
  for (let at = 0; at < gz.length; at += 1 << 20) { if (!inf.write(gz.subarray(at, at + (1 << 20)))) await new Promise((r) => inf.once("drain", r)); }
  inf.end();
  await done;
}
async function zipIt(gzip: boolean, count: boolean, level = 1) {
  const src = gzip ? gz : csv;
  const chunks: Buffer[] = []; for (let at = 0; at < src.length; at += 64 * 1024) chunks.push(src.subarray(at, at + 64 * 1024));
  const z = createZipArchive([{ name: "a.csv", open: async () => Readable.from(chunks), gzip, countCsvRecords: count }], { level, mtime: new Date() });
  z.stream.resume();
  return z.result;
}
(async () => {
  for (let k = 0; k < 2; k++) {
    await cpu("inflateRawSync whole", async () => zlib.gunzipSync(gz))();
    await cpu("gunzip stream 16KiB chunks + crc", () => inflateStream())();
    await cpu("gunzip stream 256KiB chunks + crc", () => inflateStream(256 * 1024))();
    await cpu("gunzip stream 1MiB chunks + crc", () => inflateStream(1024 * 1024))();
    await cpu("zip reframe, count", () => zipIt(true, true))();
    await cpu("zip reframe, no count", () => zipIt(true, false))();
    await cpu("zip level1, count", () => zipIt(false, true))();
    await cpu("zip level1, no count", () => zipIt(false, false))();
  }
})();
