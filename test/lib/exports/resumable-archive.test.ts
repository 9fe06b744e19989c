/**
 * The resumable archive step on the real local backends (DuckDB, SQLite job store and queue, disk
 * stores, the real worker): an archive of several multipart parts, handed over through the queue
 * after every part, or crashed at every part and checkpoint boundary, comes out byte-identical
 * (SHA-256 and size) to the same export's archive written in one go; a cancel in the middle of a
 * multi-delivery archive aborts its upload and leaves no archive.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppDeps } from "@/lib/config";
import { SimulatedCrash, type WorkerCheckpoint } from "@/lib/exports/deps";
import { archiveKeyOf, unloadPrefix } from "@/lib/exports/archive-names";
import { archiveResumable, type ResumableDone } from "@/lib/exports/resumable-archive";
import { cancelExport } from "@/lib/exports/service";
import type { ExportRecord } from "@/lib/exports/model";
import type { UnloadManifest } from "@/lib/ports";
import { handleQueueMessage } from "@/workers/dispatch";
import { processExportBatch } from "@/workers/sqs";
import { getExport } from "@/lib/exports/service";
import { admin, drain, makeLocalDeps, requestExportAs, seededWarehouse } from "../../support/local-env";

let warehouse: { dbPath: string; dir: string };
const opened: AppDeps[] = [];

beforeAll(async () => {
  // Every supplier's inventory at 200k rows: tens of MB of CSV, several MB deflated, so 1 MiB parts make several.
  warehouse = await seededWarehouse(200_000);
});

afterAll(async () => {
  for (const d of opened) await d.close();
  await fs.rm(warehouse.dir, { recursive: true, force: true });
});

/** Local deps with 1 MiB parts; `clock` moves the deps' time on (a crashed delivery's lease then lapses at once). */
async function deps(env: Record<string, string> = {}) {
  const d = await makeLocalDeps(warehouse.dbPath, { ARCHIVE_PART_MB: "1", ...env });
  opened.push(d);
  const clock = { offsetMs: 0 };
  d.now = () => new Date(Date.now() + clock.offsetMs);
  return Object.assign(d, { clock });
}

/**
 * An export taken as far as "archiving" (its parts unloaded, no archive yet), by crashing its
 * delivery at "query-finished" and making the message visible again.
 */
async function archivingExport(d: AppDeps, params: Partial<Parameters<typeof requestExportAs>[2]> = {}): Promise<{ rec: ExportRecord; manifest: UnloadManifest }> {
  const rec = await requestExportAs(d, admin, { dataset: "product_inventory", params: {}, bom: true, ...params });
  d.checkpoint = (name) => {
    if (name === "query-finished") throw new SimulatedCrash(name);
  };
  const [msg] = await d.queue.receive({ max: 1, waitSeconds: 0, visibilitySeconds: 60 });
  await expect(handleQueueMessage(d, msg.body, { receiveCount: 1 })).rejects.toBeInstanceOf(SimulatedCrash);
  await d.queue.release(msg.receipt, 0);
  d.checkpoint = undefined;
  const archiving = (await d.jobs.getExport(rec.id))!;
  expect(archiving.status).toBe("archiving");
  const state = await d.warehouse.describe(archiving.statementId!, unloadPrefix(rec.id));
  if (state.state !== "finished") throw new Error(`statement ${state.state}`);
  return { rec: archiving, manifest: state.manifest };
}

/** The archive written in one go from the export's parts (then removed again, lease and all). */
async function referenceArchive(d: AppDeps, rec: ExportRecord, manifest: UnloadManifest): Promise<{ bytes: number; sha256: string; parts: number }> {
  const done = await archiveResumable(d, rec, manifest, {});
  if (done === "handed-over") throw new Error("the reference run handed over");
  await d.archiveStore.delete(archiveKeyOf(rec));
  await d.jobs.deleteArchiveLease(rec.id);
  return { bytes: done.result.bytes, sha256: done.result.sha256, parts: done.result.parts };
}

/**
 * Runs the archive step until it crashes at the k-th boundary (each part: written, then its
 * checkpoint saved), then lets the dead delivery's lease lapse.
 */
async function crashAtBoundary(d: Awaited<ReturnType<typeof deps>>, rec: ExportRecord, manifest: UnloadManifest, k: number): Promise<void> {
  let seen = 0;
  d.checkpoint = (name: WorkerCheckpoint) => {
    if (name !== "archive-part" && name !== "archive-checkpoint") return;
    seen++;
    if (seen === k) throw new SimulatedCrash(name);
  };
  await expect(archiveResumable(d, rec, manifest, {})).rejects.toBeInstanceOf(SimulatedCrash);
  d.checkpoint = undefined;
  d.clock.offsetMs += 3_000;
}

/** Runs the archive step to the end, counting the parts it uploads. */
async function finishCountingUploads(d: AppDeps, rec: ExportRecord, manifest: UnloadManifest): Promise<{ resumed: ResumableDone; uploads: number }> {
  let uploads = 0;
  const real = d.archiveStore.uploadPart.bind(d.archiveStore);
  d.archiveStore.uploadPart = (...args) => (uploads++, real(...args));
  try {
    const resumed = await archiveResumable(d, rec, manifest, {});
    if (resumed === "handed-over") throw new Error("handed over");
    return { resumed, uploads };
  } finally {
    d.archiveStore.uploadPart = real;
  }
}

/** The finished archive (result and stored object) is the reference's; then it is removed, lease and all. */
async function expectReferenceThenClear(d: AppDeps, rec: ExportRecord, resumed: ResumableDone, reference: { bytes: number; sha256: string }, k: number): Promise<void> {
  expect({ k, sha256: resumed.result.sha256, bytes: resumed.result.bytes }).toEqual({ k, sha256: reference.sha256, bytes: reference.bytes });
  expect(await sha256Of(d, archiveKeyOf(rec))).toEqual({ sha256: reference.sha256, bytes: reference.bytes });
  expect(resumed.detail.deliveries).toBe(k === 1 ? 1 : 2);
  await d.archiveStore.delete(archiveKeyOf(rec));
  await d.jobs.deleteArchiveLease(rec.id);
}

async function sha256Of(d: AppDeps, key: string): Promise<{ sha256: string; bytes: number }> {
  const { createHash } = await import("node:crypto");
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const c of await d.archiveStore.openRead(key)) {
    hash.update(c as Buffer);
    bytes += (c as Buffer).length;
  }
  return { sha256: hash.digest("hex"), bytes };
}

/** `unzip -t`, then the CSV rows Python's csv module reads (header rows excluded). */
async function rowsInZip(d: AppDeps, key: string): Promise<number> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "pep-rz-"));
  try {
    const file = path.join(dir, "a.zip");
    const chunks: Buffer[] = [];
    for await (const c of await d.archiveStore.openRead(key)) chunks.push(c as Buffer);
    await fs.writeFile(file, Buffer.concat(chunks));
    execFileSync("unzip", ["-tq", file]);
    const script = `import csv, io, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
print(sum(sum(1 for _ in csv.reader(io.TextIOWrapper(z.open(n), encoding="utf-8-sig", newline=""))) - 1 for n in z.namelist()))`;
    return Number(execFileSync("python3", ["-c", script, file]).toString().trim());
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Multipart staging folders left in the archive store's temp folder. */
async function stagingLeft(d: AppDeps & { dataDir: string }): Promise<string[]> {
  const names = await fs.readdir(path.join(d.dataDir, "archive-store", ".tmp")).catch(() => [] as string[]);
  return names.filter((n) => n.startsWith("mpu-"));
}

describe("resumable archive step (local backends, real worker)", () => {
  it("hands over through the queue after every part and still writes the same bytes as one delivery", async () => {
    const d = await deps();
    const { rec, manifest } = await archivingExport(d);
    const reference = await referenceArchive(d, rec, manifest);
    expect(reference.parts).toBeGreaterThanOrEqual(3);

    d.settings.archiveDeliverySeconds = 0; // yield at every safe point: one part per delivery
    const done = await drain(d, rec.id, { deadlineMs: 60_000 });
    expect(done.status).toBe("ready");
    expect({ sha256: done.sha256, bytes: done.archiveBytes }).toEqual({ sha256: reference.sha256, bytes: reference.bytes });
    expect(await sha256Of(d, done.archiveKey!)).toEqual({ sha256: reference.sha256, bytes: reference.bytes });
    expect(await rowsInZip(d, done.archiveKey!)).toBe(done.rowCount);

    const steps = await d.jobs.listSteps(rec.id);
    const continued = steps.filter((s) => s.step === "archive_continued");
    expect(continued.length).toBe(reference.parts - 1);
    // Progress across deliveries only grows, and is reported against the parts' total.
    const done_ = continued.map((s) => s.detail.bytesDone as number);
    expect(done_).toEqual([...done_].sort((a, b) => a - b));
    expect(continued.every((s) => s.detail.bytesTotal === manifest.bytes)).toBe(true);
    const archived = steps.find((s) => s.step === "archived")!;
    expect(archived.detail).toMatchObject({ bytes: reference.bytes, sha256: reference.sha256, parts: reference.parts, deliveries: reference.parts, bytesCopied: 0 });
    expect(archived.detail.bytesUploaded).toBe(reference.bytes);
    // Hand-overs are not attempts: only the setup's redelivery (after "query-finished") counted one.
    expect(done.attempts).toBe(rec.attempts + 1);
    expect(await d.mailer.listSent(10)).toHaveLength(1);
    expect(await d.jobs.getArchiveLease(rec.id)).toBeNull();
    expect(await stagingLeft(d)).toEqual([]);
    console.info(`hand-over test: ${manifest.bytes} bytes of CSV -> ${reference.bytes} archive bytes in ${reference.parts} parts, ${reference.parts} deliveries`);
  });

  it("a crash at every part and checkpoint boundary, resumed each time, gives the same bytes", async () => {
    // The saveable hash from the start (no one-go hashing: see the next test).
    const d = await deps({ ARCHIVE_ONE_GO_MB_PER_SECOND: "0" });
    const { rec, manifest } = await archivingExport(d, { format: "jsonl", bom: false });
    const reference = await referenceArchive(d, rec, manifest);
    expect(reference.parts).toBeGreaterThanOrEqual(3);
    const boundaries = reference.parts * 2; // each part: written, then its checkpoint saved
    for (let k = 1; k <= boundaries; k++) {
      await crashAtBoundary(d, rec, manifest, k);
      const { resumed, uploads } = await finishCountingUploads(d, rec, manifest);
      // Resumed from the last saved checkpoint, not from the start: boundary 2j-1 is part j written
      // (its checkpoint not saved: part j again), 2j is part j's checkpoint saved.
      expect({ k, uploads }).toEqual({ k, uploads: reference.parts - Math.floor(k / 2) });
      await expectReferenceThenClear(d, rec, resumed, reference, k);
    }
    expect(await stagingLeft(d)).toEqual([]);
  });

  it("an archive hashed in one go restarts after a crash, with the saveable hash, and gives the same bytes", async () => {
    const d = await deps(); // the default rate: these few MB fit one delivery many times over
    const { rec, manifest } = await archivingExport(d, { format: "jsonl", bom: false });
    const reference = await referenceArchive(d, rec, manifest);
    expect(reference.parts).toBeGreaterThanOrEqual(3);
    // k: the crash comes at the k-th part written or checkpoint saved (1: before any checkpoint).
    for (const k of [1, 2, 4, reference.parts * 2 - 1]) {
      await crashAtBoundary(d, rec, manifest, k);
      const saved = (await d.jobs.getArchiveLease(rec.id))?.checkpoint;
      if (k > 1) expect((JSON.parse(saved!) as { zip: { sha256State: unknown } }).zip.sha256State).toBeNull(); // hashed in one go: nothing to resume the hash from
      const states: (string | null)[] = []; // the SHA-256 state of each checkpoint the restart saves
      const put = d.jobs.putArchiveLease.bind(d.jobs);
      d.jobs.putArchiveLease = (lease, now) => {
        if (lease.checkpoint) states.push((JSON.parse(lease.checkpoint) as { zip: { sha256State: string | null } }).zip.sha256State);
        return put(lease, now);
      };
      const { resumed, uploads } = await finishCountingUploads(d, rec, manifest).finally(() => (d.jobs.putArchiveLease = put));
      // The whole archive again, every part uploaded anew.
      expect({ k, uploads }).toEqual({ k, uploads: reference.parts });
      // After a saved checkpoint the restart takes the saveable hash (a further crash resumes it); before one, one go again.
      const fresh = states.filter((st, i) => i > 0 || k === 1); // (a restart's first put carries the old checkpoint)
      expect({ k, states: fresh.map((st) => typeof st) }).toEqual({ k, states: fresh.map(() => (k > 1 ? "string" : "object")) });
      expect(fresh.length).toBeGreaterThanOrEqual(reference.parts);
      await expectReferenceThenClear(d, rec, resumed, reference, k);
    }
    expect(await stagingLeft(d)).toEqual([]);
  });

  it("crashes between hand-overs, redelivered by the queue, still end in one archive with the same bytes and one email", async () => {
    const d = await deps();
    const { rec, manifest } = await archivingExport(d);
    const reference = await referenceArchive(d, rec, manifest);
    d.settings.archiveDeliverySeconds = 0;
    // At most one crash per delivery, alternating "part written" and "checkpoint saved", and one
    // between the completed upload and "ready": a message crashed three times would go to the DLQ.
    let events = 0;
    let crashes = 0;
    let crashedAfterUpload = false;
    d.checkpoint = (name: WorkerCheckpoint) => {
      if (name === "archive-written" && !crashedAfterUpload) {
        crashedAfterUpload = true;
        d.clock.offsetMs += 3_000;
        throw new SimulatedCrash(name);
      }
      if (name !== "archive-part" && name !== "archive-checkpoint") return;
      events++;
      if (events % 3 === 1) {
        crashes++;
        d.clock.offsetMs += 3_000;
        throw new SimulatedCrash(name);
      }
    };
    const done = await drain(d, rec.id, { deadlineMs: 90_000 });
    expect(crashedAfterUpload).toBe(true);
    expect(crashes).toBeGreaterThanOrEqual(reference.parts / 2);
    expect(done.status).toBe("ready");
    expect({ sha256: done.sha256, bytes: done.archiveBytes }).toEqual({ sha256: reference.sha256, bytes: reference.bytes });
    expect(await sha256Of(d, done.archiveKey!)).toEqual({ sha256: reference.sha256, bytes: reference.bytes });
    expect(await rowsInZip(d, done.archiveKey!)).toBe(done.rowCount);
    expect(await d.archiveStore.list("archives/")).toHaveLength(1);
    expect(await d.mailer.listSent(10)).toHaveLength(1);
    expect(await stagingLeft(d)).toEqual([]);
  });

  it("a cancel in the middle of a multi-delivery archive aborts the upload and leaves no archive", async () => {
    const d = await deps();
    const { rec } = await archivingExport(d);
    d.settings.archiveDeliverySeconds = 0;
    // Two deliveries: two parts written, the archive handed over each time.
    for (let i = 0; i < 2; i++) {
      const [msg] = await d.queue.receive({ max: 1, waitSeconds: 0, visibilitySeconds: 60 });
      expect(await handleQueueMessage(d, msg.body, { receiveCount: msg.receiveCount })).toEqual({ kind: "done" });
      await d.queue.ack(msg.receipt);
    }
    const lease = (await d.jobs.getArchiveLease(rec.id))!;
    expect(lease.uploadId).toBeTruthy();
    // Between deliveries the API still shows how far the archive got.
    const progress = (await getExport(d, admin, rec.id)).archiveProgress!;
    expect(progress.bytesDone).toBeGreaterThan(0);
    expect(progress.bytesDone).toBeLessThan(progress.bytesTotal);
    expect(await stagingLeft(d)).toEqual([`mpu-${lease.uploadId}`]);
    await cancelExport(d, admin, rec.id);
    const done = await drain(d, rec.id, { deadlineMs: 30_000 });
    expect(done.status).toBe("cancelled");
    expect(await d.archiveStore.list("archives/")).toEqual([]);
    expect(await d.jobs.getArchiveLease(rec.id)).toBeNull();
    expect(await stagingLeft(d)).toEqual([]);
    await expect(d.archiveStore.uploadPart(archiveKeyOf(rec), lease.uploadId!, 3, Buffer.from("x"))).rejects.toMatchObject({ code: "upload_missing" });
  });

  it("starts the archive again when its upload is gone between deliveries (swept staging folder)", async () => {
    const d = await deps();
    const { rec, manifest } = await archivingExport(d);
    const reference = await referenceArchive(d, rec, manifest);
    d.settings.archiveDeliverySeconds = 0;
    const [msg] = await d.queue.receive({ max: 1, waitSeconds: 0, visibilitySeconds: 60 });
    expect(await handleQueueMessage(d, msg.body, { receiveCount: msg.receiveCount })).toEqual({ kind: "done" });
    await d.queue.ack(msg.receipt);
    const { uploadId } = (await d.jobs.getArchiveLease(rec.id))!;
    // What the worker's temp sweep does to an upload untouched for TEMP_SWEEP_AGE_MINUTES.
    await fs.rm(path.join(d.dataDir, "archive-store", ".tmp", `mpu-${uploadId}`), { recursive: true });
    const done = await drain(d, rec.id, { deadlineMs: 60_000 });
    expect(done.status).toBe("ready");
    expect({ sha256: done.sha256, bytes: done.archiveBytes }).toEqual({ sha256: reference.sha256, bytes: reference.bytes });
    expect(await stagingLeft(d)).toEqual([]);
  });

  it("on Lambda, hands over when the invocation's remaining time runs short", async () => {
    const d = await deps();
    const { rec } = await archivingExport(d);
    // Enough time to start the message (the handler's own check), then 90 s left: the hand-over margin.
    const remaining = [130_000, 90_000];
    const context = { awsRequestId: "req-1", getRemainingTimeInMillis: () => remaining.shift() ?? 90_000 };
    const [msg] = await d.queue.receive({ max: 1, waitSeconds: 0, visibilitySeconds: 600 });
    const event = { Records: [{ messageId: msg.id, receiptHandle: msg.receipt, body: JSON.stringify(msg.body), attributes: { ApproximateReceiveCount: String(msg.receiveCount) } }] };
    expect(await processExportBatch(d, event, context)).toEqual({ batchItemFailures: [] });
    await d.queue.ack(msg.receipt);
    // One part written, then handed over: the export's message is in the queue again, its lease free to take.
    const steps = await d.jobs.listSteps(rec.id);
    expect(steps.filter((s) => s.step === "archive_continued")).toHaveLength(1);
    expect((await d.jobs.getExport(rec.id))!.status).toBe("archiving");
    const [next] = await d.queue.receive({ max: 1, waitSeconds: 0, visibilitySeconds: 60 });
    expect(next.body).toMatchObject({ type: "export.process", exportId: rec.id, reason: "continue" });
    expect(Date.parse((await d.jobs.getArchiveLease(rec.id))!.expiresAt)).toBeLessThanOrEqual(d.now().getTime());
    await d.queue.release(next.receipt, 0);
    expect((await drain(d, rec.id, { deadlineMs: 60_000 })).status).toBe("ready");
  });
});
