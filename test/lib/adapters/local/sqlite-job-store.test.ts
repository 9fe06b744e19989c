/**
 * The local (embedded) adapters: every port's contract suite, plus what only
 * the local adapters promise (outbox idempotency, two processes on one SQLite file).
 */
import { spawn } from "node:child_process";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openSqlite } from "@/lib/adapters/local/sqlite";
import { SqliteJobStore } from "@/lib/adapters/local/sqlite-job-store";
import { SqliteQueue } from "@/lib/adapters/local/sqlite-queue";
import { DiskObjectStore } from "@/lib/adapters/local/disk-object-store";
import { OutboxMailer } from "@/lib/adapters/local/outbox-mailer";
import { InvalidKeyError } from "@/lib/core/errors";
import { newExportRecord } from "@/lib/exports/model";
import type { ReceivedMessage } from "@/lib/ports";
import { testJobStore } from "@/test/contracts/job-store.contract";
import { testQueue } from "@/test/contracts/queue.contract";
import { testObjectStore } from "@/test/contracts/object-store.contract";
import { testMailer } from "@/test/contracts/mailer.contract";

const SECRET = "local-test-secret-0123456789abcdef";

async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "pep-local-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

describe("SqliteJobStore", () => {
  testJobStore(async () => {
    const { dir, remove } = await tempDir();
    const db = openSqlite(path.join(dir, "state.db"));
    return {
      store: new SqliteJobStore(db),
      cleanup: async () => {
        db.close();
        await remove();
      },
    };
  });

  it("keeps exports and steps across a reopen of the file", async () => {
    const { dir, remove } = await tempDir();
    try {
      const file = path.join(dir, "nested", "state.db");
      const record = newExportRecord({
        id: "exp_01jqabcdefghjkmnpqrstv",
        supplierId: "sup_a",
        requestedBy: "usr_1",
        requesterEmail: "a@example.com",
        dataset: "inventory",
        params: { q: "Rosé" },
        format: "csv",
        bom: true,
        notify: true,
        createdAt: "2025-03-01T10:00:00.000Z",
      });
      const first = openSqlite(file);
      const store = new SqliteJobStore(first);
      await store.createExport(record, [{ at: record.createdAt, step: "requested", detail: {} }]);
      const moved = await store.transition(record.id, { status: ["queued"] }, { status: "running", attempts: 1 }, [
        { at: "2025-03-01T10:00:01.000Z", step: "started", detail: { attempt: 1 } },
      ]);
      first.close();

      const second = openSqlite(file);
      const reopened = new SqliteJobStore(second);
      expect(await reopened.getExport(record.id)).toEqual(moved);
      expect((await reopened.listSteps(record.id)).map((s) => s.step)).toEqual(["requested", "started"]);
      expect(second.pragma("journal_mode", { simple: true })).toBe("wal");
      second.close();
    } finally {
      await remove();
    }
  });

  it("refuses to patch immutable fields and to append steps to an unknown export", async () => {
    const { dir, remove } = await tempDir();
    const db = openSqlite(path.join(dir, "state.db"));
    try {
      const store = new SqliteJobStore(db);
      const patch = { supplierId: "sup_other" } as unknown as Parameters<SqliteJobStore["transition"]>[2];
      await expect(store.transition("exp_x", { status: ["queued"] }, patch)).rejects.toThrow(/cannot be patched/);
      await expect(store.appendSteps("exp_missing", [{ at: "2025-01-01T00:00:00.000Z", step: "queued", detail: {} }])).rejects.toMatchObject({
        code: "not_found",
      });
      await expect(store.listExports({ limit: 0 })).rejects.toMatchObject({ code: "bad_request" });
    } finally {
      db.close();
      await remove();
    }
  });
});

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
});

describe("OutboxMailer", () => {
  testMailer(async () => {
    const { dir, remove } = await tempDir();
    const mailer = new OutboxMailer({ dir, from: "Acme Flowers <exports@acmeflowers.test>" });
    return {
      mailer,
      readSent: async () => (await mailer.listSent(100)) ?? [],
      cleanup: remove,
    };
  });

  describe("local behaviour", () => {
    let dir: string;
    let remove: () => Promise<void>;

    beforeEach(async () => {
      ({ dir, remove } = await tempDir());
    });
    afterEach(async () => {
      await remove();
    });

    const msg = (key: string, subject = "Ready") => ({
      to: "grower@example.com",
      subject,
      text: "t",
      html: "<p>t</p>",
      idempotencyKey: key,
    });

    it("sends a message once per idempotency key, across instances and concurrent sends", async () => {
      const web = new OutboxMailer({ dir, from: "a@x.test" });
      const worker = new OutboxMailer({ dir, from: "a@x.test" });
      const first = await web.send(msg("exp_1:ready"));
      const again = await worker.send(msg("exp_1:ready", "Different subject, same key"));
      expect(again.messageId).toBe(first.messageId);

      const racing = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? web : worker).send(msg("exp_2:ready"))));
      expect(new Set(racing.map((r) => r.messageId)).size).toBe(1);

      const sent = (await web.listSent(100)) ?? [];
      expect(sent.map((m) => m.subject)).toEqual(["Ready", "Ready"]);
      expect(sent.map((m) => m.messageId).sort()).toEqual([first.messageId, racing[0]!.messageId].sort());
      expect((await readdir(dir)).filter((n) => n.endsWith(".json"))).toHaveLength(2);
    });

    it("lists newest first, with from and sentAt, up to limit", async () => {
      const mailer = new OutboxMailer({ dir, from: "Acme <a@x.test>" });
      for (let i = 0; i < 5; i++) await mailer.send(msg(`k${i}`, `S${i}`));
      const sent = (await mailer.listSent(3)) ?? [];
      expect(sent.map((m) => m.subject)).toEqual(["S4", "S3", "S2"]);
      expect(sent[0]).toMatchObject({ from: "Acme <a@x.test>", to: "grower@example.com", text: "t", html: "<p>t</p>" });
      expect(Number.isNaN(Date.parse(sent[0]!.sentAt))).toBe(false);
      const names = (await readdir(dir)).filter((n) => n.endsWith(".json"));
      expect(names).toEqual([...names].sort());
    });

    it("lists nothing before the first send", async () => {
      expect(await new OutboxMailer({ dir: path.join(dir, "none"), from: "a@x.test" }).listSent(10)).toEqual([]);
    });
  });
});
