/**
 * SqliteQueue: the Queue contract, plus what only the local adapter promises
 * (two processes on one SQLite file share the queue without double delivery).
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openSqlite } from "@/lib/adapters/local/sqlite";
import { SqliteQueue } from "@/lib/adapters/local/sqlite-queue";
import type { ReceivedMessage } from "@/lib/ports";
import { testQueue } from "@/test/contracts/queue.contract";

async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "pep-local-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * A separate Node process that waits for "go" on stdin, then receives from the
 * queue one message at a time until it is empty, and prints the ids it got.
 */
function startDrainProcess(file: string, name: string) {
  const script = `
    const load = async (p) => { const m = await import(p); return m.default ?? m; };
    const { SqliteQueue } = await load(${JSON.stringify(path.resolve("lib/adapters/local/sqlite-queue.ts"))});
    const { openSqlite } = await load(${JSON.stringify(path.resolve("lib/adapters/local/sqlite.ts"))});
    const queue = new SqliteQueue({ db: openSqlite(${JSON.stringify(file)}), name: ${JSON.stringify(name)} });
    process.stdout.write("ready\\n");
    await new Promise((resolve) => process.stdin.once("data", resolve));
    const ids = [];
    for (;;) {
      const got = await queue.receive({ max: 1, waitSeconds: 0.3, visibilitySeconds: 60 });
      if (got.length === 0) break;
      ids.push(...got.map((m) => m.id));
    }
    process.stdout.write(JSON.stringify(ids) + "\\n");
    process.exit(0);
  `;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    cwd: process.cwd(),
    stdio: ["pipe", "pipe", "inherit"],
  });
  let out = "";
  let onReady!: () => void;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    out += chunk;
    if (out.startsWith("ready\n")) onReady();
  });
  const result = new Promise<string[]>((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`drain process exited with ${code}`));
      resolve(JSON.parse(out.slice("ready\n".length)) as string[]);
    });
  });
  return { ready, result, go: () => child.stdin.end("go\n") };
}

describe("SqliteQueue", () => {
  testQueue(async () => {
    const { dir, remove } = await tempDir();
    const db = openSqlite(path.join(dir, "state.db"));
    return {
      queue: new SqliteQueue({ db, name: "exports", deadLetter: { name: "exports-dlq", maxReceives: 3 } }),
      deadLetter: new SqliteQueue({ db, name: "exports-dlq" }),
      cleanup: async () => {
        db.close();
        await remove();
      },
    };
  });

  describe("local behaviour", () => {
    let dir: string;
    let remove: () => Promise<void>;
    const opened: Array<{ close: () => unknown }> = [];
    const open = (file = "state.db") => {
      const db = openSqlite(path.join(dir, file));
      opened.push(db);
      return db;
    };

    beforeEach(async () => {
      ({ dir, remove } = await tempDir());
    });
    afterEach(async () => {
      for (const db of opened.splice(0)) db.close();
      await remove();
    });

    it("two connections on one file (two processes) never deliver a message twice within its visibility", async () => {
      const web = new SqliteQueue({ db: open(), name: "jobs" });
      const workerA = new SqliteQueue({ db: open(), name: "jobs" });
      const workerB = new SqliteQueue({ db: open(), name: "jobs" });
      const sent = new Set<string>();
      for (let i = 0; i < 60; i++) sent.add((await web.send({ i })).id);

      const deliveries: string[] = [];
      const drain = async (q: SqliteQueue) => {
        for (;;) {
          const got = await q.receive({ max: 4, waitSeconds: 0.2, visibilitySeconds: 60 });
          if (got.length === 0) return;
          deliveries.push(...got.map((m) => m.id));
        }
      };
      await Promise.all([drain(workerA), drain(workerB), drain(workerA), drain(workerB)]);
      expect(deliveries).toHaveLength(60);
      expect(new Set(deliveries)).toEqual(sent);
      expect(await web.depth()).toBe(60); // all in flight, none acked
    });

    it("three worker processes draining one file never receive the same message twice", async () => {
      const file = path.join(dir, "state.db");
      const web = new SqliteQueue({ db: open(), name: "jobs" });
      const sent = new Set<string>();
      for (let i = 0; i < 300; i++) sent.add((await web.send({ i })).id);

      const workers = Array.from({ length: 3 }, () => startDrainProcess(file, "jobs"));
      await Promise.all(workers.map((w) => w.ready));
      // Released together so their receive transactions really contend for the write lock.
      for (const w of workers) w.go();
      const perWorker = await Promise.all(workers.map((w) => w.result));

      const all = perWorker.flat();
      expect(all).toHaveLength(300);
      expect(new Set(all)).toEqual(sent);
      expect(perWorker.filter((ids) => ids.length > 0).length).toBeGreaterThanOrEqual(2);
    });

    it("keeps queues sharing a file apart", async () => {
      const db = open();
      const a = new SqliteQueue({ db, name: "a" });
      const b = new SqliteQueue({ db, name: "b" });
      await a.send({ to: "a" });
      expect(await b.receive({ max: 10, waitSeconds: 0, visibilitySeconds: 30 })).toEqual([]);
      expect(await b.depth()).toBe(0);
      const [msg] = await a.receive({ max: 10, waitSeconds: 0, visibilitySeconds: 30 });
      await b.ack(msg!.receipt); // another queue's receipt does nothing here
      expect(await a.depth()).toBe(1);
    });

    it("delivers in send order and keeps the message id when redriving to the dead-letter queue", async () => {
      const db = open();
      const main = new SqliteQueue({ db, name: "m", deadLetter: { name: "m-dlq", maxReceives: 1 } });
      const dlq = new SqliteQueue({ db, name: "m-dlq" });
      const ids = [];
      for (let i = 0; i < 5; i++) ids.push((await main.send({ i })).id);
      const batch = await main.receive({ max: 10, waitSeconds: 0, visibilitySeconds: 30 });
      expect(batch.map((m) => m.id)).toEqual(ids);
      // All visible again, all at their maximum receive count.
      for (const m of batch) await main.release(m.receipt, 0);
      expect(await main.receive({ max: 10, waitSeconds: 0, visibilitySeconds: 30 })).toEqual([]);
      const dead = await dlq.receive({ max: 10, waitSeconds: 0, visibilitySeconds: 30 });
      expect(dead.map((m) => [m.id, m.receiveCount])).toEqual(ids.map((id) => [id, 1]));
    });

    it("an aborted long poll returns nothing at once and takes no message", async () => {
      const db = open();
      const q = new SqliteQueue({ db, name: "q" });
      const controller = new AbortController();
      const started = Date.now();
      setTimeout(() => controller.abort(), 100);
      expect(await q.receive({ max: 1, waitSeconds: 10, visibilitySeconds: 30, signal: controller.signal })).toEqual([]);
      expect(Date.now() - started).toBeLessThan(2_000);
      await q.send({ n: 1 });
      expect(await q.receive({ max: 1, waitSeconds: 1, visibilitySeconds: 30, signal: controller.signal })).toEqual([]);
      const got: ReceivedMessage[] = await q.receive({ max: 1, waitSeconds: 0, visibilitySeconds: 30 });
      expect(got[0]?.receiveCount).toBe(1);
    });

    it("validates its arguments", async () => {
      const db = open();
      const q = new SqliteQueue({ db, name: "q" });
      await expect(q.send({}, { delaySeconds: 901 })).rejects.toThrow(RangeError);
      await expect(q.send(undefined)).rejects.toThrow(TypeError);
      await expect(q.receive({ max: 0, waitSeconds: 0, visibilitySeconds: 1 })).rejects.toThrow(RangeError);
      expect(() => new SqliteQueue({ db, name: "q", deadLetter: { name: "q", maxReceives: 3 } })).toThrow();
    });
  });
});
