/**
 * RedshiftWarehouse end to end against the fake Redshift Data API (DuckDB)
 * writing into the S3 emulator: what the real client sends is what the fake
 * parses and runs, and the manifest it writes is what the adapter reads.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import zlib from "node:zlib";
import { RedshiftDataClient } from "@aws-sdk/client-redshift-data";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedWarehouse } from "@/lib/adapters/local/seed-warehouse";
import { RedshiftWarehouse } from "@/lib/adapters/aws/redshift-warehouse";
import { S3ObjectStore } from "@/lib/adapters/aws/s3-object-store";
import { getDataset } from "@/lib/datasets/catalog";
import { BackendError } from "@/lib/core/errors";
import type { StatementState } from "@/lib/ports";
import { testWarehouse } from "@/test/contracts/warehouse.contract";
import { createBucket, FAKE_CREDENTIALS, REGION, s3ClientFor, startS3 } from "@/test/support/emulators";
import { startFakeRedshift, type FakeRedshift } from "@/test/support/fake-redshift";

const ROLE = "arn:aws:iam::123456789012:role/RedshiftUnload";
let s3: Awaited<ReturnType<typeof startS3>>;
let fake: FakeRedshift;
let dir: string;
let bucket: { name: string; drop(): Promise<void> };
let store: S3ObjectStore;
let client: RedshiftDataClient;
let dbPath: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "pep-rs-fake-"));
  dbPath = path.join(dir, "warehouse.duckdb");
  await seedWarehouse({ dbPath, rows: 2_000 });
  s3 = await startS3();
  bucket = await createBucket(s3.client);
  fake = await startFakeRedshift({
    dbPath,
    s3: s3ClientFor(s3.rawEndpoint),
    bucket: bucket.name,
    iamRoleArn: ROLE,
    database: "dev",
    target: { clusterIdentifier: "acme-dw" },
    slices: 3,
  });
  client = new RedshiftDataClient({ region: REGION, endpoint: fake.endpoint, credentials: FAKE_CREDENTIALS });
  store = new S3ObjectStore({ client: s3.client, bucket: bucket.name });
});

afterAll(async () => {
  client?.destroy();
  await fake?.stop();
  await bucket?.drop();
  await s3?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

function warehouse(): RedshiftWarehouse {
  return new RedshiftWarehouse({
    client,
    target: { kind: "cluster", clusterIdentifier: "acme-dw", database: "dev", dbUser: "exporter" },
    iamRoleArn: ROLE,
    unloadBucket: bucket.name,
    unloadStore: store,
    maxFileSizeMb: 256,
  });
}

async function until(w: RedshiftWarehouse, id: string, prefix: string, ms = 20_000): Promise<StatementState> {
  const deadline = Date.now() + ms;
  for (;;) {
    const state = await w.describe(id, prefix);
    if (state.state !== "running") return state;
    if (Date.now() > deadline) throw new Error(`statement ${id} still running after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function bytes(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks).toString("utf8");
}

describe("RedshiftWarehouse on the fake Data API", () => {
  it("unloads a dataset query into gzipped CSV parts with headers and a manifest the adapter reads", async () => {
    const w = warehouse();
    const sql = getDataset("product_inventory")!.buildQuery({}, { kind: "supplier", supplierId: "sup_rose" });
    const { statementId } = await w.submitUnload({ exportId: "exp_1", sql, format: "csv", keyPrefix: "unload/exp_1/" });
    const state = await until(w, statementId, "unload/exp_1/");
    if (state.state !== "finished") throw new Error(`expected finished, got ${JSON.stringify(state)}`);
    expect(state.manifest.entries.map((e) => e.key)).toEqual(["unload/exp_1/0000_part_00.gz", "unload/exp_1/0001_part_00.gz", "unload/exp_1/0002_part_00.gz"]);
    expect(state.manifest.rows).toBeGreaterThan(100);
    let rows = 0;
    for (const entry of state.manifest.entries) {
      // One gzip member per part, as UNLOAD ... GZIP writes it; bytes in the manifest are the object's.
      const lines = zlib.gunzipSync(await bytes(await store.openRead(entry.key))).toString("utf8").trimEnd().split("\n");
      expect(lines.length - 1).toBe(entry.rows);
      expect(lines[0]).toBe("sku,product_id,product_name,warehouse,qty_on_hand,reorder_point,unit_cost,updated_at");
      expect((await store.head(entry.key))?.bytes).toBe(entry.bytes);
      expect(entry.rows).toBe(lines.length - 1);
      rows += entry.rows!;
    }
    expect(rows).toBe(state.manifest.rows);
  });

  it("starts a slice's next file at MAXFILESIZE, each with its header, as UNLOAD does", async () => {
    // MAXFILESIZE 5 MB with a 1 KiB "megabyte": files of at most 5 KiB from a few hundred KB of CSV.
    const small = await startFakeRedshift({
      dbPath,
      s3: s3ClientFor(s3.rawEndpoint),
      bucket: bucket.name,
      iamRoleArn: ROLE,
      database: "dev",
      target: { clusterIdentifier: "acme-dw" },
      slices: 2,
      maxFileSizeUnit: 1024,
    });
    const smallClient = new RedshiftDataClient({ region: REGION, endpoint: small.endpoint, credentials: FAKE_CREDENTIALS });
    try {
      const w = new RedshiftWarehouse({
        client: smallClient,
        target: { kind: "cluster", clusterIdentifier: "acme-dw", database: "dev", dbUser: "exporter" },
        iamRoleArn: ROLE,
        unloadBucket: bucket.name,
        unloadStore: store,
        maxFileSizeMb: 5,
      });
      const sql = getDataset("product_inventory")!.buildQuery({}, { kind: "all" });
      const { statementId } = await w.submitUnload({ exportId: "exp_max", sql, format: "csv", keyPrefix: "unload/exp_max/" });
      const state = await until(w, statementId, "unload/exp_max/");
      if (state.state !== "finished") throw new Error(`expected finished, got ${JSON.stringify(state)}`);
      const keys = state.manifest.entries.map((e) => e.key);
      expect(keys.length).toBeGreaterThan(4);
      expect(keys.slice(0, 3)).toEqual(["unload/exp_max/0000_part_00.gz", "unload/exp_max/0000_part_01.gz", "unload/exp_max/0000_part_02.gz"]);
      expect(keys.some((k) => k.startsWith("unload/exp_max/0001_part_"))).toBe(true);
      let rows = 0;
      for (const entry of state.manifest.entries) {
        expect(entry.bytes).toBeLessThanOrEqual(5 * 1024);
        const lines = zlib.gunzipSync(await bytes(await store.openRead(entry.key))).toString("utf8").trimEnd().split("\n");
        expect(lines[0]).toMatch(/^sku,product_id,/);
        expect(lines.length - 1).toBe(entry.rows);
        rows += entry.rows!;
      }
      expect(rows).toBe(2_000);
      expect((await store.list("unload/exp_max/")).filter((o) => o.key.endsWith(".gz"))).toHaveLength(keys.length);
    } finally {
      smallClient.destroy();
      await small.stop();
    }
  });

  it("unloads a semicolon CSV whose decimals have a comma mark, as the local warehouse writes it", async () => {
    const w = warehouse();
    const sql = getDataset("product_inventory")!.buildQuery({ lowStockOnly: true }, { kind: "supplier", supplierId: "sup_rose" }, ["sku", "unit_cost"], { decimalMark: "," });
    const { statementId } = await w.submitUnload({ exportId: "exp_6", sql, format: "csv", delimiter: ";", keyPrefix: "unload/exp_6/" });
    const state = await until(w, statementId, "unload/exp_6/");
    if (state.state !== "finished") throw new Error(`expected finished, got ${JSON.stringify(state)}`);
    const lines: string[] = [];
    for (const entry of state.manifest.entries) lines.push(...zlib.gunzipSync(await bytes(await store.openRead(entry.key))).toString("utf8").trimEnd().split("\n").slice(1));
    expect(lines.length).toBe(state.manifest.rows);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(/^[A-Z0-9_-]+;\d+,\d{2}$/);
  });

  it("unloads Parquet parts", async () => {
    const w = warehouse();
    const sql = getDataset("product_detail")!.buildQuery({}, { kind: "all" });
    const { statementId } = await w.submitUnload({ exportId: "exp_2", sql, format: "parquet", keyPrefix: "unload/exp_2/" });
    const state = await until(w, statementId, "unload/exp_2/");
    expect(state.state).toBe("finished");
    if (state.state !== "finished") return;
    expect(state.manifest.entries[0]!.key).toBe("unload/exp_2/0000_part_00.parquet");
    const head = await text(await store.openRead(state.manifest.entries[0]!.key, { start: 0, end: 3 }));
    expect(head).toBe("PAR1");
  });

  it("reports a query the warehouse rejects as a failure with its error text", async () => {
    const w = warehouse();
    const { statementId } = await w.submitUnload({ exportId: "exp_3", sql: "SELECT no_such_column FROM rsdataapi.suppliers", format: "csv", keyPrefix: "unload/exp_3/" });
    const state = await until(w, statementId, "unload/exp_3/");
    expect(state).toMatchObject({ state: "failed", retryable: false, message: expect.stringContaining("no_such_column") });
  });

  it("cancels a running statement, which then reports aborted", async () => {
    const w = warehouse();
    const { statementId } = await w.submitUnload({
      exportId: "exp_4",
      sql: "SELECT sum(hash(i)) AS s FROM range(100000000000) t(i)",
      format: "csv",
      keyPrefix: "unload/exp_4/",
    });
    expect(await w.describe(statementId, "unload/exp_4/")).toEqual({ state: "running" });
    await w.cancel(statementId);
    expect(await until(w, statementId, "unload/exp_4/")).toEqual({ state: "aborted" });
    // Cancelling again, now that it is over, changes nothing.
    await w.cancel(statementId);
    expect(await w.describe(statementId, "unload/exp_4/")).toEqual({ state: "aborted" });
  });

  it("is refused by the fake the way Redshift refuses a bad target", async () => {
    const w = new RedshiftWarehouse({
      client,
      target: { kind: "workgroup", workgroupName: "no-such-wg", database: "dev" },
      iamRoleArn: ROLE,
      unloadBucket: bucket.name,
      unloadStore: store,
      maxFileSizeMb: 256,
    });
    const err = await w.submitUnload({ exportId: "exp_5", sql: "SELECT 1 AS x", format: "csv", keyPrefix: "unload/exp_5/" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).retryable).toBe(false);
    expect(await warehouse().describe("00000000-0000-0000-0000-000000000000", "unload/exp_5/")).toMatchObject({ state: "failed", retryable: true });
  });
});

/** Rows `sql` returns, asked of DuckDB directly. */
async function directCount(sql: string): Promise<number> {
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  try {
    await con.run(`ATTACH '${dbPath}' AS wh (READ_ONLY); USE wh;`);
    return Number((await con.runAndReadAll(`SELECT count(*) FROM (${sql})`)).getRows()[0]![0]);
  } finally {
    con.closeSync();
    db.closeSync();
  }
}

describe("RedshiftWarehouse (fake Data API, S3 emulator)", () => {
  testWarehouse(async () => {
    const contractBucket = await createBucket(s3.client);
    const contractFake = await startFakeRedshift({
      dbPath,
      s3: s3ClientFor(s3.rawEndpoint),
      bucket: contractBucket.name,
      iamRoleArn: ROLE,
      database: "dev",
      target: { workgroupName: "acme-wg" },
      slices: 2,
    });
    const contractClient = new RedshiftDataClient({ region: REGION, endpoint: contractFake.endpoint, credentials: FAKE_CREDENTIALS });
    const unloadStore = new S3ObjectStore({ client: s3.client, bucket: contractBucket.name });
    const ok = "SELECT sku, product_name, warehouse, qty_on_hand, unit_cost FROM rsdataapi.product_inventory WHERE supplier_id = 'sup_tulip' ORDER BY sku, warehouse";
    return {
      warehouse: new RedshiftWarehouse({
        client: contractClient,
        target: { kind: "workgroup", workgroupName: "acme-wg", database: "dev" },
        iamRoleArn: ROLE,
        unloadBucket: contractBucket.name,
        unloadStore,
        maxFileSizeMb: 256,
      }),
      unloadStore,
      queries: {
        ok,
        okRows: await directCount(ok),
        bad: "SELECT * FROM rsdataapi.no_such_table",
        badMessage: /no_such_table/,
        slow: "SELECT sum(hash(i)) AS s FROM range(100000000000) t(i)",
        longCount: "SELECT i FROM range(100000000000) t(i) WHERE hash(i) % 7 <> 0",
      },
      cleanup: async () => {
        contractClient.destroy();
        await contractFake.stop();
        await contractBucket.drop();
      },
    };
  });
});
