// The local queue's fair share: groups with messages waiting take turns, oldest first within a group.
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SqliteQueue } from "@/lib/adapters/local/sqlite-queue";

let dir: string;
let db: Database.Database;

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "pep-fair-"));
  db = new Database(path.join(dir, "q.db"));
});
afterEach(async () => {
  db.close();
  await fs.rm(dir, { recursive: true, force: true });
});

async function drainOrder(queue: SqliteQueue, max = 1): Promise<string[]> {
  const order: string[] = [];
  for (;;) {
    const batch = await queue.receive({ max, waitSeconds: 0, visibilitySeconds: 30 });
    if (batch.length === 0) return order;
    for (const m of batch) {
      order.push((m.body as { tag: string }).tag);
      await queue.ack(m.receipt);
    }
  }
}

describe("SqliteQueue fair share", () => {
  it("a burst from one key does not hold back another's message sent after it", async () => {
    const queue = new SqliteQueue({ db, name: "q" });
    for (let i = 0; i < 30; i++) await queue.send({ tag: `a${i}` }, { fairShareKey: "sup_a" });
    await queue.send({ tag: "b0" }, { fairShareKey: "sup_b" });
    const order = await drainOrder(queue);
    expect(order.indexOf("b0")).toBeLessThanOrEqual(1);
    // A keeps its own order.
    expect(order.filter((t) => t.startsWith("a"))).toEqual(Array.from({ length: 30 }, (_, i) => `a${i}`));
  });

  it("keys take turns, in batches too, and keyless messages are one more share", async () => {
    const queue = new SqliteQueue({ db, name: "q" });
    for (let i = 0; i < 3; i++) await queue.send({ tag: `a${i}` }, { fairShareKey: "a" });
    for (let i = 0; i < 3; i++) await queue.send({ tag: `b${i}` }, { fairShareKey: "b" });
    for (let i = 0; i < 3; i++) await queue.send({ tag: `n${i}` });
    expect(await drainOrder(queue, 2)).toEqual(["a0", "b0", "n0", "a1", "b1", "n1", "a2", "b2", "n2"]);
  });

  it("turns are shared between queues' processes through the file, and per queue", async () => {
    const one = new SqliteQueue({ db, name: "q" });
    const other = new SqliteQueue({ db: new Database(path.join(dir, "q.db")), name: "q" });
    const elsewhere = new SqliteQueue({ db, name: "another" });
    await one.send({ tag: "a0" }, { fairShareKey: "a" });
    await one.send({ tag: "a1" }, { fairShareKey: "a" });
    await one.send({ tag: "b0" }, { fairShareKey: "b" });
    await elsewhere.send({ tag: "x0" }, { fairShareKey: "a" });
    const [first] = await one.receive({ max: 1, waitSeconds: 0, visibilitySeconds: 30 });
    expect((first.body as { tag: string }).tag).toBe("a0");
    // The other process sees that "a" was just served.
    expect(await drainOrder(other)).toEqual(["b0", "a1"]);
    expect(await drainOrder(elsewhere)).toEqual(["x0"]);
  });

  it("a file from before fair share gets the group column and keeps its messages", async () => {
    db.exec(`CREATE TABLE pe_queue_messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, queue TEXT NOT NULL, body TEXT NOT NULL,
      visible_at INTEGER NOT NULL, receive_count INTEGER NOT NULL DEFAULT 0, receipt TEXT UNIQUE, sent_at INTEGER NOT NULL)`);
    db.prepare(`INSERT INTO pe_queue_messages (id, queue, body, visible_at, sent_at) VALUES ('m1', 'q', '{"tag":"old"}', 0, 0)`).run();
    const queue = new SqliteQueue({ db, name: "q" });
    await queue.send({ tag: "new" }, { fairShareKey: "a" });
    expect(await drainOrder(queue)).toEqual(["old", "new"]);
  });
});
