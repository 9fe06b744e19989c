/**
 * The archive step on the real local backends: parts checked against the manifest (a short or
 * damaged part fails the export instead of making a "ready" zip with missing rows), rowCount
 * equal to the rows in the zip, one archiving delivery at a time under the archive lease (on
 * the SQLite and the DynamoDB job store), and the progress the API shows while it runs.
 */
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PassThrough, type Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppDeps } from "@/lib/config";
import { DynamoJobStore } from "@/lib/adapters/aws/dynamo-job-store";
import { exportMessage } from "@/lib/exports/messages";
import { getExport } from "@/lib/exports/service";
import { handleQueueMessage } from "@/workers/dispatch";
import { admin, drain, makeLocalDeps, rose, seededWarehouse, requestExportAs } from "../../support/local-env";
import { createJobsTable, startDynamo } from "../../support/emulators";

let warehouse: { dbPath: string; dir: string };
let dynamo: Awaited<ReturnType<typeof startDynamo>>;
const opened: AppDeps[] = [];

beforeAll(async () => {
  [warehouse, dynamo] = await Promise.all([seededWarehouse(20_000), startDynamo()]);
});

afterAll(async () => {
  for (const d of opened) await d.close();
  await dynamo.stop();
  await fs.rm(warehouse.dir, { recursive: true, force: true });
});

type StoreKind = "sqlite" | "dynamo";

async function deps(store: StoreKind = "sqlite") {
  const d = await makeLocalDeps(warehouse.dbPath);
  opened.push(d);
  if (store === "dynamo") {
    const table = await createJobsTable(dynamo.client);
    d.jobs = new DynamoJobStore({ client: dynamo.doc, tableName: table.name });
  }
  return d;
}

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Rows of every CSV in the export's zip, read by Python's csv module (header rows excluded), after `unzip -t`. */
async function rowsInZip(d: AppDeps, archiveKey: string): Promise<number> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "pep-rows-"));
  try {
    const zip = path.join(dir, "a.zip");
    const body = await d.archiveStore.openRead(archiveKey);
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c as Buffer);
    await fs.writeFile(zip, Buffer.concat(chunks));
    execFileSync("unzip", ["-tq", zip]);
    const script = `import csv, io, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
print(sum(sum(1 for _ in csv.reader(io.TextIOWrapper(z.open(n), encoding="utf-8-sig", newline=""))) - 1 for n in z.namelist()))`;
    return Number(execFileSync("python3", ["-c", script, zip]).toString().trim());
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Replaces the export's first unloaded part with `change(bytes)` once the query has finished. */
function damageFirstPart(d: AppDeps, change: (bytes: Buffer) => Buffer): void {
  const real = d.unloadStore.openRead.bind(d.unloadStore);
  const pending: Promise<void>[] = [];
  d.checkpoint = (name, exportId) => {
    if (name !== "query-finished") return;
    pending.push(
      (async () => {
        const [part] = (await d.unloadStore.list(`unload/${exportId}/`)).filter((o) => o.key.endsWith(".csv"));
        const chunks: Buffer[] = [];
        for await (const c of await real(part.key)) chunks.push(c as Buffer);
        await d.unloadStore.put(part.key, change(Buffer.concat(chunks)));
      })(),
    );
  };
  // checkpoint is synchronous: the archive step reads the parts once the rewrite has landed.
  d.unloadStore.openRead = async (key, range) => {
    await Promise.all(pending);
    return real(key, range);
  };
}

/**
 * Holds every unloaded part's stream after its first `passBytes` until `release()`: an archive
 * step stopped mid-way, with some bytes read (the zip reads 1 MiB blocks, so more than that).
 */
function holdReads(d: AppDeps, passBytes = 1536 * 1024): { release: () => void } {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const real = d.unloadStore.openRead.bind(d.unloadStore);
  d.unloadStore.openRead = async (key, range) => {
    const source: Readable = await real(key, range);
    const out = new PassThrough();
    void (async () => {
      let passed = 0;
      for await (const chunk of source) {
        if (passed >= passBytes) await gate;
        passed += (chunk as Buffer).length;
        if (!out.write(chunk)) await once(out, "drain");
      }
      out.end();
    })().catch((err: Error) => out.destroy(err));
    return out;
  };
  return { release };
}

/** Archives started: a streamed `put` (XLSX) or a multipart upload (the resumable writer). */
function countPuts(d: AppDeps): { readonly count: number } {
  const counter = { count: 0 };
  const real = d.archiveStore.put.bind(d.archiveStore);
  d.archiveStore.put = (key, body, opts) => {
    counter.count++;
    return real(key, body, opts);
  };
  const start = d.archiveStore.startMultipart.bind(d.archiveStore);
  d.archiveStore.startMultipart = (key, opts) => {
    counter.count++;
    return start(key, opts);
  };
  return counter;
}

describe("archive step: parts against the manifest", () => {
  it("rowCount is the rows in the zip (Python's csv reader), BOM and header rows included as they should be", async () => {
    const d = await deps();
    const rec = await requestExportAs(d, rose, { dataset: "product_inventory", params: {}, bom: true });
    const done = await drain(d, rec.id);
    expect(done.status).toBe("ready");
    expect(done.rowCount).toBeGreaterThan(0);
    expect(await rowsInZip(d, done.archiveKey!)).toBe(done.rowCount);
  });

  it("a truncated part fails the export with a clear message, and leaves no archive", async () => {
    const d = await deps();
    damageFirstPart(d, (bytes) => bytes.subarray(0, Math.floor(bytes.length / 2)));
    const rec = await requestExportAs(d, rose, { dataset: "product_inventory", params: {} });
    const done = await drain(d, rec.id);
    expect(done.status).toBe("failed");
    expect(done.errorCode).toBe("parts_mismatch");
    expect(done.errorMessage).toMatch(/The warehouse's output is incomplete, so no archive was made: part 1 of 1 \(product_inventory\.csv\) holds \d+ bytes; the warehouse's manifest says \d+/);
    expect(await d.archiveStore.list("archives/")).toEqual([]);
    expect(await d.jobs.getArchiveLease(rec.id)).toBeNull();
    const mail = (await d.mailer.listSent(10))!;
    expect(mail).toHaveLength(1);
    expect(mail[0].subject.toLowerCase()).toContain("fail");
  });

  it("a part with the right size but fewer rows fails on the row count", async () => {
    const d = await deps();
    // Join the last two rows into one: same bytes, one row fewer.
    damageFirstPart(d, (bytes) => {
      const copy = Buffer.from(bytes);
      const lastNl = copy.lastIndexOf(0x0a, copy.length - 2);
      copy[lastNl] = 0x20;
      return copy;
    });
    const rec = await requestExportAs(d, rose, { dataset: "product_inventory", params: {} });
    const done = await drain(d, rec.id);
    expect(done.status).toBe("failed");
    expect(done.errorCode).toBe("parts_mismatch");
    // Per part where the warehouse counts each part's rows (Redshift), else the total (DuckDB counts only the total).
    expect(done.errorMessage).toMatch(/part 1 of 1 \(product_inventory\.csv\) holds \d+ rows; the manifest says \d+|the parts hold (\d+) rows; the manifest says \d+/);
    expect(done.errorMessage).not.toMatch(/bytes;/);
    expect(await d.archiveStore.list("archives/")).toEqual([]);
  });
});

describe.each<StoreKind>(["sqlite", "dynamo"])("archive lease on the %s job store", (store) => {
  it("a duplicate delivery while one archives does not archive again; progress shows meanwhile", async () => {
    const d = await deps(store);
    const puts = countPuts(d);
    const held = holdReads(d);
    // Every supplier's rows: a part of a few MB, so the hold falls mid-part.
    const rec = await requestExportAs(d, admin, { dataset: "product_inventory", params: {} });
    const [first] = await d.queue.receive({ max: 1, waitSeconds: 0, visibilitySeconds: 60 });
    const firstRun = handleQueueMessage(d, first.body, { receiveCount: 1 });
    await waitFor("the first delivery to hold the lease", () => d.jobs.getArchiveLease(rec.id));

    await d.queue.send(exportMessage(rec.id, "requested"));
    const [duplicate] = await waitFor("the duplicate", () => d.queue.receive({ max: 1, waitSeconds: 0, visibilitySeconds: 60 }).then((m) => m.length > 0 && m));
    expect(await handleQueueMessage(d, duplicate.body, { receiveCount: 1 })).toEqual({ kind: "done" });
    await d.queue.ack(duplicate.receipt);
    expect(puts.count).toBe(1);

    const finished = (await d.jobs.listSteps(rec.id)).find((s) => s.step === "query_finished")!;
    const progress = await waitFor("progress above zero", async () => {
      const view = await getExport(d, admin, rec.id);
      return view.archiveProgress && view.archiveProgress.bytesDone > 0 && view.archiveProgress;
    });
    expect(progress.bytesTotal).toBe(finished.detail.bytes);
    expect(progress.bytesDone).toBeLessThan(progress.bytesTotal);

    held.release();
    expect(await firstRun).toEqual({ kind: "done" });
    await d.queue.ack(first.receipt);
    const done = await drain(d, rec.id); // the duplicate's scheduled check finds it ready
    expect(done.status).toBe("ready");
    expect(puts.count).toBe(1);
    expect(await d.mailer.listSent(10)).toHaveLength(1);
    expect(await d.jobs.getArchiveLease(rec.id)).toBeNull();
    expect((await getExport(d, admin, rec.id)).archiveProgress).toBeNull();
    expect(await rowsInZip(d, done.archiveKey!)).toBe(done.rowCount);
  });

  it("a lease left by a dead delivery is taken over once it expires", async () => {
    const d = await deps(store);
    const rec = await requestExportAs(d, rose, { dataset: "product_inventory", params: {} });
    d.checkpoint = (name, id) => {
      if (name !== "query-finished") return;
      const now = d.now();
      void d.jobs.putArchiveLease(
        { exportId: id, owner: "dead-delivery", expiresAt: new Date(now.getTime() + 1500).toISOString(), bytesDone: 0, bytesTotal: 1, updatedAt: now.toISOString() },
        now.toISOString(),
      );
    };
    const done = await drain(d, rec.id);
    expect(done.status).toBe("ready");
    expect(await d.archiveStore.list("archives/")).toHaveLength(1);
    expect(await d.jobs.getArchiveLease(rec.id)).toBeNull();
  });

  it("a delivery whose lease was taken over stops writing and leaves the export to the new holder", async () => {
    const d = await deps(store);
    const held = holdReads(d);
    const rec = await requestExportAs(d, admin, { dataset: "product_inventory", params: {} });
    const [first] = await d.queue.receive({ max: 1, waitSeconds: 0, visibilitySeconds: 60 });
    const firstRun = handleQueueMessage(d, first.body, { receiveCount: 1 });
    await waitFor("the first delivery to hold the lease", () => d.jobs.getArchiveLease(rec.id));
    // Another delivery that found the lease expired (as if the first had stalled past it) takes it,
    // conditionally on the lease it read: when the holder renewed it in between (its next put or its
    // heartbeat), the condition fails and the intruder reads it again, as a real delivery would.
    let taken = false;
    for (let tries = 0; tries < 20 && !taken; tries++) {
      const lease = (await d.jobs.getArchiveLease(rec.id))!;
      taken = await d.jobs.putArchiveLease({ ...lease, owner: "intruder", expiresAt: new Date(Date.now() + 60_000).toISOString() }, lease.expiresAt);
    }
    expect(taken).toBe(true);
    expect(await firstRun).toEqual({ kind: "done" });
    held.release();
    await d.queue.ack(first.receipt);
    expect((await d.jobs.getExport(rec.id))!.status).toBe("archiving");
    expect(await d.archiveStore.list("archives/")).toEqual([]);
    expect((await d.jobs.getArchiveLease(rec.id))!.owner).toBe("intruder");
  });
});
