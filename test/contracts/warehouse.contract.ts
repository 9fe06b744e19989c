/**
 * Contract for `Warehouse` (lib/ports.ts). Every adapter runs it: the local
 * DuckDB one, and the Redshift one against a fake Redshift writing to an S3
 * emulator. It checks only what the port promises, through the port and the
 * unload object store, so it never knows which backend it talks to.
 */
import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { gunzipSync } from "node:zlib";
import { readCsvRecords } from "@/lib/formats/csv-records";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ObjectStore, StatementState, UnloadFormat, UnloadManifest, Warehouse } from "@/lib/ports";

export interface WarehouseFixture {
  warehouse: Warehouse;
  /** The object store the warehouse's parts are read from. */
  unloadStore: ObjectStore;
  queries: {
    /** A query that succeeds. Its values must not contain newlines (the suite counts CSV lines). */
    ok: string;
    /** How many rows `ok` returns. */
    okRows: number;
    /** A query the warehouse refuses (e.g. an unknown table). */
    bad: string;
    /** When given, the failure message of `bad` must match it: the warehouse's own words. */
    badMessage?: RegExp;
    /** A query that runs far longer than the suite waits (it is always cancelled). */
    slow: string;
    /** A query whose first rows come at once but whose row count takes far longer than the suite waits. */
    longCount: string;
  };
  /** Closes the warehouse and removes whatever `make` created. */
  cleanup: () => Promise<void>;
}

/** How long a statement may take to reach its end state before the suite gives up. */
const DEADLINE_MS = 30_000;

/**
 * Polls `describe` until the statement leaves "running" or the deadline passes. `keyPrefix` is
 * the one the statement was submitted with (Redshift finds the manifest there; DuckDB keeps its own record).
 */
export async function waitForEnd(warehouse: Warehouse, statementId: string, deadlineMs = DEADLINE_MS, keyPrefix = "unused/"): Promise<StatementState> {
  const deadline = Date.now() + deadlineMs;
  let pause = 10;
  for (;;) {
    const state = await warehouse.describe(statementId, keyPrefix);
    if (state.state !== "running") return state;
    if (Date.now() > deadline) throw new Error(`statement ${statementId} still running after ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, pause));
    pause = Math.min(pause * 2, 200);
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

function finished(state: StatementState): UnloadManifest {
  if (state.state !== "finished") throw new Error(`expected finished, got ${JSON.stringify(state)}`);
  return state.manifest;
}

/** A part's bytes as text files hold them: gzip parts (Redshift's CSV UNLOAD ... GZIP) inflated. */
function plain(body: Buffer): Buffer {
  return body[0] === 0x1f && body[1] === 0x8b ? gunzipSync(body) : body;
}

export function testWarehouse(make: () => Promise<WarehouseFixture>): void {
  describe("Warehouse contract", () => {
    let f: WarehouseFixture;
    const submitted: string[] = [];

    beforeAll(async () => {
      f = await make();
    });

    afterAll(async () => {
      if (!f) return;
      // Nothing the suite started may outlive it.
      for (const id of submitted) await f.warehouse.cancel(id).catch(() => undefined);
      await f.cleanup();
    });

    async function submit(sql: string, format: UnloadFormat = "csv", delimiter?: "," | ";" | "\t") {
      const keyPrefix = `contract/${randomUUID()}/`;
      const { statementId } = await f.warehouse.submitUnload({ exportId: `exp_contract_${submitted.length}`, sql, format, keyPrefix, ...(delimiter ? { delimiter } : {}) });
      submitted.push(statementId);
      prefixes.set(statementId, keyPrefix);
      return { statementId, keyPrefix };
    }
    const prefixes = new Map<string, string>();
    /** The statement's state, asked with the prefix it was submitted with (as the worker asks). */
    const describeOf = (statementId: string) => f.warehouse.describe(statementId, prefixes.get(statementId) ?? "contract/unknown/");
    const endOf = (statementId: string) => waitForEnd(f.warehouse, statementId, DEADLINE_MS, prefixes.get(statementId) ?? "contract/unknown/");

    /** Checks every entry against the store: it exists under the prefix, with the listed size. Returns the bytes. */
    async function partsOf(manifest: UnloadManifest, keyPrefix: string): Promise<Buffer[]> {
      expect(manifest.entries.length).toBeGreaterThan(0);
      // Per-part counts are optional (where the warehouse's manifest gives them); given for one part, given for all, and they add up.
      const counted = manifest.entries.filter((e) => e.rows !== undefined);
      if (counted.length > 0) {
        expect(counted).toHaveLength(manifest.entries.length);
        expect(counted.reduce((n, e) => n + e.rows!, 0)).toBe(manifest.rows);
      }
      expect(manifest.entries.reduce((n, e) => n + e.bytes, 0)).toBe(manifest.bytes);
      expect(new Set(manifest.entries.map((e) => e.key)).size).toBe(manifest.entries.length);
      const bodies: Buffer[] = [];
      for (const entry of manifest.entries) {
        expect(entry.key.startsWith(keyPrefix)).toBe(true);
        expect(await f.unloadStore.head(entry.key)).toEqual({ key: entry.key, bytes: entry.bytes });
        const body = await readAll(await f.unloadStore.openRead(entry.key));
        expect(body.length).toBe(entry.bytes);
        // A warehouse may gzip its text parts (Redshift's UNLOAD ... GZIP names them .gz): one member each.
        bodies.push(entry.key.endsWith(".gz") ? zlib.gunzipSync(body) : body);
      }
      return bodies;
    }

    it("tells its own time (the clock incremental windows are taken on), to the millisecond", async () => {
      const before = Date.now();
      const at = await f.warehouse.currentTime();
      const after = Date.now();
      expect(at).toBeInstanceOf(Date);
      // Both warehouses here run on this host's clock; a real one may differ by its skew, never by a format.
      expect(at.getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(at.getTime()).toBeLessThanOrEqual(after + 1000);
    });

    it("returns from submit at once, with the statement running", async () => {
      const started = performance.now();
      const { statementId } = await submit(f.queries.slow);
      expect(performance.now() - started).toBeLessThan(3000);
      expect(typeof statementId).toBe("string");
      expect(statementId.length).toBeGreaterThan(0);
      expect(await describeOf(statementId)).toEqual({ state: "running" });
      await f.warehouse.cancel(statementId);
      expect((await endOf(statementId)).state).toBe("aborted");
    });

    it("unloads CSV parts with a header each, and a manifest whose rows and sizes match the store", async () => {
      const { statementId, keyPrefix } = await submit(f.queries.ok, "csv");
      const manifest = finished(await endOf(statementId));
      expect(manifest.rows).toBe(f.queries.okRows);
      const bodies = await partsOf(manifest, keyPrefix);
      const headers = new Set<string>();
      let records = 0;
      bodies.forEach((body, i) => {
        const lines = body.toString("utf8").split("\n");
        if (lines.at(-1) === "") lines.pop();
        headers.add(lines[0]);
        // One header line, then one line per row (the `ok` query has no newlines in its values).
        records += lines.length - 1;
        if (manifest.entries[i].rows !== undefined) expect(lines.length - 1).toBe(manifest.entries[i].rows);
      });
      expect(records).toBe(manifest.rows);
      expect(headers.size).toBe(1);
      expect([...headers][0].length).toBeGreaterThan(0);
    });

    for (const delimiter of [";", "\t"] as const) {
      it(`unloads CSV parts separated by ${JSON.stringify(delimiter)}, with the same header and rows as commas`, async () => {
        const comma = await submit(f.queries.ok, "csv");
        const other = await submit(f.queries.ok, "csv", delimiter);
        const records = async (s: { statementId: string; keyPrefix: string }, sep: string) => {
          const manifest = finished(await endOf(s.statementId));
          const out: { header: string; rows: string[]; total: number } = { header: "", rows: [], total: manifest.rows };
          for (const body of await partsOf(manifest, s.keyPrefix)) {
            let first = true;
            for await (const r of readCsvRecords(Readable.from([plain(body)]), sep)) {
              if (first) out.header = JSON.stringify(r);
              else out.rows.push(JSON.stringify(r));
              first = false;
            }
          }
          out.rows.sort();
          return out;
        };
        const a = await records(comma, ",");
        const b = await records(other, delimiter);
        expect(b.total).toBe(f.queries.okRows);
        expect(b.rows).toHaveLength(f.queries.okRows);
        // Read with their own separators, both hold the same header and the same rows.
        expect(b.header).toBe(a.header);
        expect(b.rows).toEqual(a.rows);
      });
    }

    it("unloads JSON lines: one object per row and line, no header, keys in the query's column order", async () => {
      const csv = await submit(f.queries.ok, "csv");
      const { statementId, keyPrefix } = await submit(f.queries.ok, "jsonl");
      const manifest = finished(await endOf(statementId));
      expect(manifest.rows).toBe(f.queries.okRows);
      const header = (await partsOf(finished(await endOf(csv.statementId)), csv.keyPrefix)).map(plain)[0].toString("utf8").split("\n")[0];
      const bodies = await partsOf(manifest, keyPrefix);
      let rows = 0;
      bodies.forEach((body, i) => {
        const lines = plain(body).toString("utf8").split("\n").filter((l) => l !== "");
        if (manifest.entries[i].rows !== undefined) expect(lines.length).toBe(manifest.entries[i].rows);
        for (const line of lines) expect(Object.keys(JSON.parse(line) as object).join(",")).toBe(header);
        rows += lines.length;
      });
      expect(rows).toBe(f.queries.okRows);
    });

    it("previews the first rows as text, the columns and the exact count; the rows are rows of the unload", async () => {
      const preview = await f.warehouse.preview({ sql: f.queries.ok, limit: 5, budgetMs: 20_000 });
      expect(preview.count).toEqual({ kind: "exact", rows: f.queries.okRows });
      expect(preview.rows).toHaveLength(Math.min(5, f.queries.okRows));
      const { statementId, keyPrefix } = await submit(f.queries.ok, "csv");
      const manifest = finished(await endOf(statementId));
      const unloaded = new Set<string>();
      let header: (string | null)[] = [];
      for (const body of await partsOf(manifest, keyPrefix)) {
        let first = true;
        for await (const r of readCsvRecords(Readable.from([plain(body)]))) {
          if (first) header = r;
          else unloaded.add(JSON.stringify(r));
          first = false;
        }
      }
      expect(preview.columns.map((c) => c.name)).toEqual(header);
      for (const c of preview.columns) expect(c.type.length).toBeGreaterThan(0);
      for (const row of preview.rows) expect(unloaded.has(JSON.stringify(row)), JSON.stringify(row)).toBe(true);
    });

    it("gives up on a long count within the budget: rows, and the count unknown", async () => {
      const started = performance.now();
      const preview = await f.warehouse.preview({ sql: f.queries.longCount, limit: 3, budgetMs: 1_500 });
      expect(performance.now() - started).toBeLessThan(6_000);
      expect(preview.rows).toHaveLength(3);
      expect(preview.count).toEqual({ kind: "unknown" });
    });

    it("reports a query the warehouse refuses as an error in the warehouse's words", async () => {
      const err = await f.warehouse.preview({ sql: f.queries.bad, limit: 3, budgetMs: 10_000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      if (f.queries.badMessage) expect((err as Error).message).toMatch(f.queries.badMessage);
    });

    it("unloads Parquet parts", async () => {
      const { statementId, keyPrefix } = await submit(f.queries.ok, "parquet");
      const manifest = finished(await endOf(statementId));
      expect(manifest.rows).toBe(f.queries.okRows);
      for (const body of await partsOf(manifest, keyPrefix)) {
        expect(body.subarray(0, 4).toString("latin1")).toBe("PAR1");
        expect(body.subarray(-4).toString("latin1")).toBe("PAR1");
      }
    });

    it("keeps concurrent statements apart", async () => {
      const a = await submit(f.queries.ok);
      const b = await submit(f.queries.ok, "parquet");
      const [ma, mb] = [finished(await endOf(a.statementId)), finished(await endOf(b.statementId))];
      expect(ma.entries.every((e) => e.key.startsWith(a.keyPrefix))).toBe(true);
      expect(mb.entries.every((e) => e.key.startsWith(b.keyPrefix))).toBe(true);
      expect(ma.rows).toBe(f.queries.okRows);
      expect(mb.rows).toBe(f.queries.okRows);
    });

    it("reports a query the warehouse refuses as failed, not retryable, in the warehouse's words", async () => {
      const { statementId } = await submit(f.queries.bad);
      const state = await endOf(statementId);
      expect(state).toMatchObject({ state: "failed", retryable: false });
      const message = state.state === "failed" ? state.message : "";
      expect(message.trim().length).toBeGreaterThan(0);
      if (f.queries.badMessage) expect(message).toMatch(f.queries.badMessage);
    });

    it("cancels a running statement: it ends aborted, and cancelling again is harmless", async () => {
      const { statementId } = await submit(f.queries.slow);
      await f.warehouse.cancel(statementId);
      expect(await endOf(statementId)).toEqual({ state: "aborted" });
      await f.warehouse.cancel(statementId);
      expect(await describeOf(statementId)).toEqual({ state: "aborted" });
    });

    it("leaves a finished statement alone when asked to cancel it", async () => {
      const { statementId } = await submit(f.queries.ok);
      const before = await endOf(statementId);
      const manifest = finished(before);
      await f.warehouse.cancel(statementId);
      expect(await describeOf(statementId)).toEqual(before);
      for (const e of manifest.entries) expect(await f.unloadStore.head(e.key)).not.toBeNull();
    });

    it("reports a statement it does not know as a retryable failure, and cancelling it is a no-op", async () => {
      for (const id of [`no-such-statement-${randomUUID()}`, randomUUID()]) {
        expect(await describeOf(id)).toMatchObject({ state: "failed", retryable: true });
        await expect(f.warehouse.cancel(id)).resolves.toBeUndefined();
      }
    });
  });
}
