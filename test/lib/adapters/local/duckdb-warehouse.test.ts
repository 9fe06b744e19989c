/**
 * The local warehouse: the Warehouse contract on a seeded DuckDB file, plus
 * what only this adapter promises: parts split by size, with the total counted right,
 * state shared through files so another process (or another instance) can
 * describe and cancel, lost statements reported as retryable, and a sandbox
 * that keeps queries inside the warehouse and the unload folder.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DuckDBInstance } from "@duckdb/node-api";
import { DiskObjectStore } from "@/lib/adapters/local/disk-object-store";
import { DuckDbWarehouse, type DuckDbWarehouseOptions } from "@/lib/adapters/local/duckdb-warehouse";
import { seedWarehouse } from "@/lib/adapters/local/seed-warehouse";
import { getDataset } from "@/lib/datasets/catalog";
import { BackendError } from "@/lib/core/errors";
import type { UnloadFormat, UnloadManifest } from "@/lib/ports";
import { testWarehouse, waitForEnd } from "@/test/contracts/warehouse.contract";

const ROOT = path.resolve(__dirname, "../../../..");
const SECRET = "duckdb-warehouse-test-secret-0123";
/** Runs for hours unless interrupted; DuckDB checks for interrupts between vectors. */
const SLOW = "SELECT sum(hash(i)) AS s FROM range(100000000000) t(i)";

let dir: string;
let dbPath: string;
const seeded = (async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "pep-duckwh-"));
  dbPath = path.join(dir, "warehouse.duckdb");
  await seedWarehouse({ dbPath, rows: 20_000 });
})();

afterAll(async () => {
  await seeded;
  await fs.rm(dir, { recursive: true, force: true });
});

/** A direct count on the seeded file, independent of the adapter. */
async function directCount(sql: string): Promise<number> {
  const instance = await DuckDBInstance.create(dbPath, { access_mode: "READ_ONLY" });
  const con = await instance.connect();
  try {
    return Number((await con.runAndReadAll(`SELECT count(*) FROM (${sql})`)).getRows()[0][0]);
  } finally {
    con.closeSync();
    instance.closeSync();
  }
}

interface Env {
  unloadRoot: string;
  store: DiskObjectStore;
  make: (opts?: Partial<DuckDbWarehouseOptions>) => DuckDbWarehouse;
  close: () => Promise<void>;
}

/** A fresh unload folder, its object store, and warehouses over the seeded file (closed by `close`). */
async function env(): Promise<Env> {
  await seeded;
  const unloadRoot = await fs.mkdtemp(path.join(os.tmpdir(), "pep-unload-"));
  const opened: DuckDbWarehouse[] = [];
  return {
    unloadRoot,
    store: new DiskObjectStore({ root: unloadRoot, signingSecret: SECRET, publicBaseUrl: "http://localhost:3000" }),
    make: (opts = {}) => {
      const w = new DuckDbWarehouse({ dbPath, unloadRoot, threads: 2, memoryLimit: "512MB", ...opts });
      opened.push(w);
      return w;
    },
    close: async () => {
      for (const w of opened) await w.close();
      await fs.rm(unloadRoot, { recursive: true, force: true });
    },
  };
}

function finished(state: Awaited<ReturnType<DuckDbWarehouse["describe"]>>): UnloadManifest {
  if (state.state !== "finished") throw new Error(`expected finished, got ${JSON.stringify(state)}`);
  return state.manifest;
}

async function poll<T>(what: string, probe: () => Promise<T | undefined>, deadlineMs = 15_000): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Per-part row counts and column names as DuckDB's own CSV reader sees them, each part read on its own. */
async function readParts(files: string[], format: UnloadFormat): Promise<{ rows: number; columns: string[] }[]> {
  const instance = await DuckDBInstance.create(":memory:");
  const con = await instance.connect();
  try {
    const out = [];
    for (const file of files) {
      const source = format === "csv" ? `read_csv('${file}', header = true, all_varchar = true)` : `read_parquet('${file}')`;
      const reader = await con.runAndReadAll(`SELECT * FROM ${source}`);
      out.push({ rows: reader.currentRowCount, columns: reader.columnNames() });
    }
    return out;
  } finally {
    con.closeSync();
    instance.closeSync();
  }
}

describe("DuckDbWarehouse", () => {
  testWarehouse(async () => {
    const e = await env();
    const ok = "SELECT sku, product_name, warehouse, qty_on_hand, unit_cost FROM rsdataapi.product_inventory WHERE supplier_id = 'sup_tulip' ORDER BY sku, warehouse";
    return {
      warehouse: e.make(),
      unloadStore: e.store,
      queries: { ok, okRows: await directCount(ok), bad: "SELECT * FROM rsdataapi.no_such_table", badMessage: /Catalog Error: .*no_such_table/, slow: SLOW, longCount: "SELECT i FROM range(100000000000) t(i) WHERE hash(i) % 7 <> 0" },
      cleanup: e.close,
    };
  });

  describe("parts", () => {
    let e: Env;
    beforeAll(async () => {
      e = await env();
    });
    afterAll(async () => e.close());

    it("splits a million-row result into several standalone CSV parts, with COPY's total in the manifest", async () => {
      const w = e.make({ maxFileSizeMb: 2 });
      // Quoted newlines, commas, quotes, empty strings and NULLs: each part must still parse on its own.
      const sql = `SELECT i, CASE i % 4 WHEN 0 THEN 'multi' || chr(10) || 'line, "quoted"' WHEN 1 THEN '' WHEN 2 THEN NULL ELSE 'Orchidée' END AS txt
                   FROM range(1000000) t(i)`;
      const { statementId } = await w.submitUnload({ exportId: "exp_parts", sql, format: "csv", keyPrefix: "unload/exp_parts/" });
      const manifest = finished(await waitForEnd(w, statementId));
      expect(manifest.rows).toBe(1_000_000);
      expect(manifest.entries.length).toBeGreaterThan(1);
      expect(manifest.entries.map((p) => p.key)).toEqual(manifest.entries.map((_, i) => `unload/exp_parts/part_${i}.csv`));

      const files = manifest.entries.map((p) => path.join(e.unloadRoot, p.key));
      const parts = await readParts(files, "csv");
      for (const p of parts) expect(p.columns).toEqual(["i", "txt"]);
      // COPY reports only the total for CSV: the entries carry no counts of their own (the port allows that).
      expect(manifest.entries.every((p) => p.rows === undefined)).toBe(true);
      expect(parts.reduce((n, p) => n + p.rows, 0)).toBe(1_000_000);
      // Every row exactly once, across parts read independently (so parts can be processed in parallel).
      const instance = await DuckDBInstance.create(":memory:");
      const con = await instance.connect();
      const fileList = files.map((f) => `'${f}'`).join(", ");
      const [[n, distinct, min, max]] = (
        await con.runAndReadAll(`SELECT count(*), count(DISTINCT i), min(i::BIGINT), max(i::BIGINT) FROM read_csv([${fileList}], header = true, all_varchar = true)`)
      ).getRowsJS() as bigint[][];
      con.closeSync();
      instance.closeSync();
      expect([n, distinct, min, max].map(Number)).toEqual([1_000_000, 1_000_000, 0, 999_999]);
    });

    it("writes a Redshift MANIFEST VERBOSE document next to the parts", async () => {
      const w = e.make({ maxFileSizeMb: 1 });
      const { statementId } = await w.submitUnload({
        exportId: "exp_manifest",
        sql: "SELECT i AS n, 'row ' || i AS label FROM range(300000) t(i)",
        format: "csv",
        keyPrefix: "unload/exp_manifest/",
      });
      const manifest = finished(await waitForEnd(w, statementId));
      const doc = JSON.parse(await fs.readFile(path.join(e.unloadRoot, "unload/exp_manifest/manifest"), "utf8"));
      expect(doc.entries).toEqual(
        manifest.entries.map((p) => ({ url: `file://${path.join(e.unloadRoot, p.key)}`, meta: { content_length: p.bytes } })),
      );
      expect(doc.meta).toEqual({ content_length: manifest.bytes, record_count: 300_000 });
      expect(doc.schema).toEqual({ elements: [{ name: "n", type: { base: "bigint" } }, { name: "label", type: { base: "varchar" } }] });
      for (const entry of doc.entries) expect((await fs.stat(fileURLToPath(entry.url))).size).toBe(entry.meta.content_length);
    });

    it("splits Parquet too, with each part's row count from DuckDB's own stats", async () => {
      const w = e.make({ maxFileSizeMb: 1 });
      const { statementId } = await w.submitUnload({
        exportId: "exp_pq",
        sql: "SELECT i, md5(i::VARCHAR) AS h FROM range(600000) t(i)",
        format: "parquet",
        keyPrefix: "unload/exp_pq/",
      });
      const manifest = finished(await waitForEnd(w, statementId));
      expect(manifest.entries.length).toBeGreaterThan(1);
      const parts = await readParts(
        manifest.entries.map((p) => path.join(e.unloadRoot, p.key)),
        "parquet",
      );
      expect(parts.map((p) => p.rows)).toEqual(manifest.entries.map((p) => p.rows));
      expect(manifest.rows).toBe(600_000);
    });

    it("exports a dataset with multi-line values (reviews) with exactly the warehouse's row count", async () => {
      const w = e.make({ maxFileSizeMb: 0.05 });
      const sql = getDataset("customer_reviews")!.buildQuery({}, { kind: "all" });
      const { statementId } = await w.submitUnload({ exportId: "exp_reviews", sql, format: "csv", keyPrefix: "unload/exp_reviews/" });
      const manifest = finished(await waitForEnd(w, statementId));
      expect(manifest.rows).toBe(await directCount(sql));
      expect(manifest.entries.length).toBeGreaterThan(1);
      const parts = await readParts(manifest.entries.map((p) => path.join(e.unloadRoot, p.key)), "csv");
      expect(parts.reduce((n, p) => n + p.rows, 0)).toBe(manifest.rows);
    });
  });

  describe("state shared between processes", () => {
    let e: Env;
    beforeAll(async () => {
      e = await env();
    });
    afterAll(async () => e.close());

    it("lets a second instance (another process) follow a statement to the same end", async () => {
      const runner = e.make();
      const observer = e.make();
      const { statementId } = await runner.submitUnload({
        exportId: "exp_shared",
        sql: "SELECT sku, product_name FROM rsdataapi.product_detail ORDER BY sku",
        format: "csv",
        keyPrefix: "unload/exp_shared/",
      });
      const seen = await waitForEnd(observer, statementId);
      expect(finished(seen).rows).toBe(await directCount("SELECT * FROM rsdataapi.product_detail"));
      expect(await runner.describe(statementId)).toEqual(seen);
    });

    it("lets a second instance cancel: the runner sees the marker, interrupts DuckDB and leaves no parts", async () => {
      const runner = e.make();
      const other = e.make();
      const { statementId } = await runner.submitUnload({ exportId: "exp_x", sql: SLOW, format: "csv", keyPrefix: "unload/exp_xcancel/" });
      expect(await other.describe(statementId)).toEqual({ state: "running" });
      await other.cancel(statementId);
      expect(await runner.describe(statementId)).toEqual({ state: "aborted" });
      expect(await other.describe(statementId)).toEqual({ state: "aborted" });
      const left = await fs.readdir(path.join(e.unloadRoot, "unload/exp_xcancel"));
      expect(left.filter((n) => !n.startsWith(".statement-"))).toEqual([]);
    });

    it("lets a cancel from elsewhere win even when it lands as the query ends", async () => {
      const runner = e.make();
      const other = e.make();
      const { statementId } = await runner.submitUnload({
        exportId: "exp_late",
        sql: "SELECT i FROM range(50000) t(i)",
        format: "csv",
        keyPrefix: "unload/exp_late/",
      });
      await other.cancel(statementId);
      const end = await waitForEnd(runner, statementId);
      if (end.state === "finished") {
        // The statement finished before the cancel arrived: then it is left alone, parts and all.
        for (const p of end.manifest.entries) expect(await e.store.head(p.key)).not.toBeNull();
      } else {
        expect(end).toEqual({ state: "aborted" });
        expect((await e.store.list("unload/exp_late/")).filter((o) => /part_|manifest/.test(o.key))).toEqual([]);
      }
    });

    it("reports a statement whose process died as lost (retryable), or aborted once someone cancelled it", async () => {
      const child = spawnRunner(e.unloadRoot, "unload/exp_orphan/");
      try {
        const statementId = await firstLine(child);
        const observer = e.make();
        expect(await observer.describe(statementId)).toEqual({ state: "running" });
        child.kill("SIGKILL");
        await new Promise((r) => child.once("exit", r));
        const lost = await observer.describe(statementId);
        expect(lost).toMatchObject({ state: "failed", retryable: true });
        expect(lost.state === "failed" && lost.message).toMatch(/^statement lost: the process that ran it \(pid \d+/);
        await observer.cancel(statementId);
        expect(await observer.describe(statementId)).toEqual({ state: "aborted" });
      } finally {
        child.kill("SIGKILL");
      }
    });

    it("judges a statement run on another host by its heartbeat", async () => {
      const w = e.make();
      const folder = path.join(e.unloadRoot, "unload/exp_host");
      await fs.mkdir(folder, { recursive: true });
      const token = randomBytes(12).toString("hex");
      const statementId = `duckdb.${Buffer.from("unload/exp_host/").toString("base64url")}.${token}`;
      const status = path.join(folder, `.statement-${token}.json`);
      await fs.writeFile(
        status,
        JSON.stringify({ state: "running", statementId, pid: 1, procStart: null, host: "another-host.invalid", startedAt: new Date().toISOString() }),
      );
      expect(await w.describe(statementId)).toEqual({ state: "running" });
      const old = new Date(Date.now() - 120_000);
      await fs.utimes(status, old, old);
      expect(await w.describe(statementId)).toMatchObject({ state: "failed", retryable: true, message: expect.stringMatching(/another-host\.invalid/) });
    });

    it("ends statements as retryable failures when the warehouse closes under them", async () => {
      const runner = new DuckDbWarehouse({ dbPath, unloadRoot: e.unloadRoot });
      const observer = e.make();
      const { statementId } = await runner.submitUnload({ exportId: "exp_close", sql: SLOW, format: "csv", keyPrefix: "unload/exp_close/" });
      await runner.close();
      expect(await observer.describe(statementId)).toEqual({
        state: "failed",
        retryable: true,
        message: "statement lost: the warehouse was closed while it ran",
      });
      await expect(runner.submitUnload({ exportId: "exp_close", sql: "SELECT 1", format: "csv", keyPrefix: "unload/exp_close/" })).rejects.toMatchObject({
        code: "warehouse_closed",
        retryable: true,
      });
      await runner.close(); // idempotent
    });

    it("stops a statement submitted just as the warehouse closes", async () => {
      const runner = new DuckDbWarehouse({ dbPath, unloadRoot: e.unloadRoot });
      const submitted = runner.submitUnload({ exportId: "exp_race", sql: SLOW, format: "csv", keyPrefix: "unload/exp_race/" });
      await runner.close();
      const { statementId } = await submitted;
      expect(runner.runningHere()).toEqual([]);
      expect(await e.make().describe(statementId)).toMatchObject({ state: "failed", retryable: true });
    });

    it("stops and leaves nothing when its folder is deleted under it (the export was cleaned up)", async () => {
      const w = e.make({ cancelPollMs: 50 });
      const { statementId } = await w.submitUnload({ exportId: "exp_gone", sql: SLOW, format: "csv", keyPrefix: "unload/exp_gone/" });
      expect(w.runningHere()).toEqual([statementId]);
      // Delete once COPY has opened its first part, so it is the poller (not a failed mkdir) that stops it.
      const folder = path.join(e.unloadRoot, "unload/exp_gone");
      await poll("COPY to start writing", async () => {
        const names = (await fs.readdir(folder, { recursive: true }).catch(() => [])) as string[];
        return names.some((n) => n.endsWith("part_0.csv")) ? true : undefined;
      });
      expect(await e.store.deletePrefix("unload/exp_gone/")).toBeGreaterThan(0);
      // SLOW runs for hours: it ends only if the runner noticed and interrupted it.
      await poll("the abandoned statement to stop", async () => (w.runningHere().includes(statementId) ? undefined : true));
      expect(await e.store.list("unload/exp_gone/")).toEqual([]);
      expect(await fs.readdir(folder).catch(() => [])).toEqual([]);
      expect(await w.describe(statementId)).toMatchObject({ state: "failed", retryable: true });
    });
  });

  describe("statement ids", () => {
    let e: Env;
    beforeAll(async () => {
      e = await env();
    });
    afterAll(async () => e.close());

    it("reports unknown and forged ids as lost, without touching files outside the unload root", async () => {
      const w = e.make();
      const b64 = (s: string) => Buffer.from(s).toString("base64url");
      const token = "0123456789abcdef01234567";
      const forged = [
        `duckdb.${b64("unload/never/")}.${token}`, // well-formed, unknown
        `duckdb.${b64("../outside/")}.${token}`,
        `duckdb.${b64("/etc/")}.${token}`,
        `duckdb.${b64("unload/.hidden/")}.${token}`,
        `duckdb.${b64("unload/x")}.${token}`, // no trailing slash
        `duckdb.${b64("unload/x/")}=.${token}`, // non-canonical encoding
        `duckdb.${b64("unload/x/")}.${token.toUpperCase()}`,
        `duckdb.${b64("unload/x/")}.${token}.extra`,
        "",
        "duckdb..",
      ];
      for (const id of forged) {
        expect(await w.describe(id)).toMatchObject({ state: "failed", retryable: true, message: expect.stringMatching(/^statement lost: /) });
        await expect(w.cancel(id)).resolves.toBeUndefined();
      }
      expect(await fs.readdir(e.unloadRoot)).toEqual([]);
    });
  });

  describe("what it refuses", () => {
    let e: Env;
    let w: DuckDbWarehouse;
    beforeAll(async () => {
      e = await env();
      w = e.make();
    });
    afterAll(async () => e.close());

    it.each(["../x/", "/abs/", "a", "a//b/", ".hidden/", "a/../b/", "a\\b/", "", `${"a/".repeat(300)}`])("refuses the key prefix %j at submit", async (keyPrefix) => {
      await expect(w.submitUnload({ exportId: "exp_bad", sql: "SELECT 1", format: "csv", keyPrefix })).rejects.toMatchObject({
        name: "BackendError",
        retryable: false,
      });
    });

    it("refuses an unknown format or an empty query at submit", async () => {
      const bad = [
        { exportId: "e", sql: "SELECT 1", format: "xlsx" as UnloadFormat, keyPrefix: "unload/a/" },
        { exportId: "e", sql: "  ", format: "csv" as UnloadFormat, keyPrefix: "unload/a/" },
      ];
      for (const req of bad) await expect(w.submitUnload(req)).rejects.toBeInstanceOf(BackendError);
    });

    it.each([
      ["two statements", "SELECT 1; SELECT 2", /exactly one SELECT statement, got 2/],
      ["a file written outside the unload root", "COPY (SELECT 1) TO '/tmp/pep-escape.csv'", /^Permission Error/],
      ["a write", "CREATE TABLE rsdataapi.x AS SELECT 1", /Only a SELECT statement/],
      ["bind parameters", "SELECT ? AS v", /bind parameters/],
      ["a syntax error", "SELEKT 1", /^Parser Error/],
      ["an unknown column", "SELECT nope FROM rsdataapi.suppliers", /^Binder Error/],
      ["a file outside the unload root", "SELECT * FROM read_csv('/etc/passwd')", /^Permission Error/],
      ["attaching another database", "SELECT * FROM read_parquet('/tmp/*.parquet')", /^Permission Error/],
      ["a bad cast", "SELECT 'x'::INTEGER AS v", /^Conversion Error/],
    ])("fails %s, not retryable, with DuckDB's message", async (_name, sql, message) => {
      await expectRefused(sql, message);
    });

    it("fails a COPY even into the unload root: only SELECTs are unloaded", async () => {
      await expectRefused(`COPY (SELECT 1) TO '${path.join(e.unloadRoot, "sneaky.csv")}'`, /Only a SELECT statement/);
      await expect(fs.access(path.join(e.unloadRoot, "sneaky.csv"))).rejects.toThrow();
    });

    async function expectRefused(sql: string, message: RegExp) {
      const { statementId } = await w.submitUnload({ exportId: "exp_refused", sql, format: "csv", keyPrefix: `unload/refused-${randomBytes(4).toString("hex")}/` });
      const state = await waitForEnd(w, statementId);
      expect(state).toMatchObject({ state: "failed", retryable: false });
      expect(state.state === "failed" && state.message).toMatch(message);
      expect(state.state === "failed" && state.message).not.toMatch(/LINE \d+:/);
    }

    it("accepts a trailing semicolon or line comment (the query is wrapped on its own lines)", async () => {
      for (const sql of ["SELECT 1 AS one;", "SELECT 1 AS one -- the answer", "SELECT 1 AS one ;\n\n"]) {
        const { statementId } = await w.submitUnload({ exportId: "exp_tail", sql, format: "csv", keyPrefix: `unload/tail-${randomBytes(4).toString("hex")}/` });
        expect(finished(await waitForEnd(w, statementId)).rows).toBe(1);
      }
    });
  });

  describe("the warehouse file", () => {
    it("fails submit retryably while there is no warehouse file", async () => {
      const e = await env();
      try {
        const w = new DuckDbWarehouse({ dbPath: path.join(e.unloadRoot, "missing.duckdb"), unloadRoot: e.unloadRoot });
        await expect(w.submitUnload({ exportId: "e", sql: "SELECT 1", format: "csv", keyPrefix: "unload/a/" })).rejects.toMatchObject({
          code: "warehouse_unavailable",
          retryable: true,
        });
        await w.close();
      } finally {
        await e.close();
      }
    });

    it("reads the new data after the seed replaced the file", async () => {
      const e = await env();
      const file = path.join(e.unloadRoot, "..", `pep-reseed-${randomBytes(4).toString("hex")}.duckdb`);
      const w = new DuckDbWarehouse({ dbPath: file, unloadRoot: e.unloadRoot });
      const rowsNow = async (tag: string) => {
        const { statementId } = await w.submitUnload({
          exportId: "e",
          sql: "SELECT * FROM rsdataapi.product_inventory",
          format: "parquet",
          keyPrefix: `unload/${tag}/`,
        });
        return finished(await waitForEnd(w, statementId)).rows;
      };
      try {
        await seedWarehouse({ dbPath: file, rows: 100 });
        expect(await rowsNow("first")).toBe(100);
        await seedWarehouse({ dbPath: file, rows: 240 });
        expect(await rowsNow("second")).toBe(240);
      } finally {
        await w.close();
        await fs.rm(file, { force: true });
        await e.close();
      }
    });
  });
});

/** Starts another process that submits SLOW under `keyPrefix` and prints the statement id. */
function spawnRunner(unloadRoot: string, keyPrefix: string): ChildProcess {
  const modulePath = path.join(ROOT, "lib/adapters/local/duckdb-warehouse.ts");
  const code = `
    const { DuckDbWarehouse } = require(${JSON.stringify(modulePath)});
    const w = new DuckDbWarehouse({ dbPath: ${JSON.stringify(dbPath)}, unloadRoot: ${JSON.stringify(unloadRoot)}, threads: 1 });
    w.submitUnload({ exportId: "exp_orphan", sql: ${JSON.stringify(SLOW)}, format: "csv", keyPrefix: ${JSON.stringify(keyPrefix)} })
      .then(({ statementId }) => console.log(statementId), (err) => { console.error(err); process.exit(1); });
    setInterval(() => {}, 1000);
  `;
  // node itself with tsx's loader, not the tsx CLI: the CLI runs the code in a child process, and
  // killing the CLI would leave that child (the real runner) alive.
  return spawn(process.execPath, ["--import", "tsx", "--eval", code], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const nl = out.indexOf("\n");
      if (nl !== -1) resolve(out.slice(0, nl).trim());
    });
    child.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.once("exit", (code) => reject(new Error(`runner exited with ${code}: ${err}`)));
  });
}
