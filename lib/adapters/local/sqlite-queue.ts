import { randomBytes, randomUUID } from "node:crypto";
import type { Database } from "better-sqlite3";
import type { Queue, ReceivedMessage } from "@/lib/ports";

const TABLE = "pe_queue_messages";
/** When each fair-share group of a queue was last served, as a running delivery number. */
const GROUPS = "pe_queue_groups";
/** How often an empty long poll re-checks the table (the sender may be another process). */
const POLL_INTERVAL_MS = 50;

export interface SqliteQueueOptions {
  db: Database;
  /** Queue name; several queues share one table. */
  name: string;
  /** Redrive policy, as on SQS: a message already received `maxReceives` times moves to `name` instead of being delivered again. */
  deadLetter?: { name: string; maxReceives: number };
}

interface MessageRow {
  id: string;
  body: string;
  receive_count: number;
  grp: string;
}

/**
 * An SQS-like queue in the local SQLite file: at-least-once delivery with
 * visibility timeouts, delayed sends, long polling and a dead-letter redrive.
 * Deliveries happen inside `BEGIN IMMEDIATE`, so two processes polling the
 * same file never get the same message within its visibility window.
 *
 * Fair share: each message may carry a group (`fairShareKey`, the supplier). A
 * receive takes the oldest visible message of the group served longest ago,
 * so groups with messages waiting take turns, whatever their backlogs: a
 * supplier who queues 30 exports delays another's next one by at most one
 * delivery per busy group. Within a group, messages keep their send order.
 */
export class SqliteQueue implements Queue {
  private readonly db: Database;
  private readonly name: string;
  private readonly deadLetter: { name: string; maxReceives: number } | undefined;

  constructor(opts: SqliteQueueOptions) {
    if (opts.deadLetter) {
      const { name, maxReceives } = opts.deadLetter;
      if (name === opts.name) throw new Error("a queue cannot be its own dead-letter queue");
      if (!Number.isInteger(maxReceives) || maxReceives < 1) throw new RangeError("deadLetter.maxReceives must be a positive integer");
    }
    this.db = opts.db;
    this.name = opts.name;
    this.deadLetter = opts.deadLetter;
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS ${TABLE} (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        queue TEXT NOT NULL,
        body TEXT NOT NULL,
        visible_at INTEGER NOT NULL,
        receive_count INTEGER NOT NULL DEFAULT 0,
        receipt TEXT UNIQUE,
        sent_at INTEGER NOT NULL,
        grp TEXT NOT NULL DEFAULT ''
      );
      CREATE INDEX IF NOT EXISTS ${TABLE}_visible ON ${TABLE} (queue, visible_at, seq);
      CREATE TABLE IF NOT EXISTS ${GROUPS} (
        queue TEXT NOT NULL,
        grp TEXT NOT NULL,
        served INTEGER NOT NULL,
        PRIMARY KEY (queue, grp)
      );
    `);
    // Files made before fair share have no group column: add it (every old message joins group '').
    const columns = this.db.prepare(`PRAGMA table_info(${TABLE})`).all() as { name: string }[];
    if (!columns.some((c) => c.name === "grp")) this.db.exec(`ALTER TABLE ${TABLE} ADD COLUMN grp TEXT NOT NULL DEFAULT ''`);
  }

  async send(body: unknown, opts: { delaySeconds?: number; fairShareKey?: string } = {}): Promise<{ id: string }> {
    const delay = opts.delaySeconds ?? 0;
    if (!Number.isFinite(delay) || delay < 0 || delay > 900) throw new RangeError("delaySeconds must be between 0 and 900");
    const json = JSON.stringify(body);
    if (json === undefined) throw new TypeError("queue message body must be JSON-serialisable");
    const id = randomUUID();
    const now = Date.now();
    this.db
      .prepare(`INSERT INTO ${TABLE} (id, queue, body, visible_at, receive_count, sent_at, grp) VALUES (?, ?, ?, ?, 0, ?, ?)`)
      .run(id, this.name, json, now + Math.round(delay * 1000), now, opts.fairShareKey ?? "");
    return { id };
  }

  async receive(opts: {
    max: number;
    waitSeconds: number;
    visibilitySeconds: number;
    signal?: AbortSignal;
  }): Promise<ReceivedMessage[]> {
    const { max, waitSeconds, visibilitySeconds, signal } = opts;
    if (!Number.isInteger(max) || max < 1) throw new RangeError("max must be a positive integer");
    if (!Number.isFinite(waitSeconds) || waitSeconds < 0) throw new RangeError("waitSeconds must be >= 0");
    if (!Number.isFinite(visibilitySeconds) || visibilitySeconds < 0) throw new RangeError("visibilitySeconds must be >= 0");

    const deadline = Date.now() + waitSeconds * 1000;
    // A worker that is shutting down must not take messages it will not process.
    while (!signal?.aborted) {
      const got = this.receiveNow(max, visibilitySeconds);
      if (got.length > 0) return got;
      const left = deadline - Date.now();
      if (left <= 0) break;
      await sleep(Math.min(POLL_INTERVAL_MS, left), signal);
    }
    return [];
  }

  async ack(receipt: string): Promise<void> {
    // A stale receipt (the message was redelivered or already acked) matches no row.
    this.db.prepare(`DELETE FROM ${TABLE} WHERE queue = ? AND receipt = ?`).run(this.name, receipt);
  }

  async release(receipt: string, delaySeconds: number): Promise<void> {
    if (!Number.isFinite(delaySeconds) || delaySeconds < 0) throw new RangeError("delaySeconds must be >= 0");
    this.db
      .prepare(`UPDATE ${TABLE} SET visible_at = ? WHERE queue = ? AND receipt = ?`)
      .run(Date.now() + Math.round(delaySeconds * 1000), this.name, receipt);
  }

  async depth(): Promise<number> {
    const { n } = this.db.prepare(`SELECT COUNT(*) AS n FROM ${TABLE} WHERE queue = ?`).get(this.name) as { n: number };
    return n;
  }

  /** One non-waiting receive: a single IMMEDIATE transaction, so the pick and the hide are atomic. */
  private receiveNow(max: number, visibilitySeconds: number): ReceivedMessage[] {
    // The group served longest ago (never served first), then its oldest visible message.
    const pick = this.db.prepare(
      `SELECT m.id, m.body, m.receive_count, m.grp FROM ${TABLE} m
       LEFT JOIN ${GROUPS} g ON g.queue = m.queue AND g.grp = m.grp
       WHERE m.queue = ? AND m.visible_at <= ?
       ORDER BY COALESCE(g.served, 0), m.visible_at, m.seq LIMIT 1`,
    );
    const served = this.db.prepare(
      `INSERT INTO ${GROUPS} (queue, grp, served) VALUES (?, ?, (SELECT COALESCE(MAX(served), 0) + 1 FROM ${GROUPS} WHERE queue = ?))
       ON CONFLICT (queue, grp) DO UPDATE SET served = excluded.served`,
    );
    const deliver = this.db.prepare(`UPDATE ${TABLE} SET receipt = ?, receive_count = ?, visible_at = ? WHERE id = ?`);
    // A redriven message keeps its group in the dead-letter queue.
    const redrive = this.db.prepare(
      `UPDATE ${TABLE} SET queue = ?, receive_count = 0, receipt = NULL, visible_at = ? WHERE id = ?`,
    );
    return this.db
      .transaction((): ReceivedMessage[] => {
        const now = Date.now();
        const out: ReceivedMessage[] = [];
        // Redriven messages free their slot, so pick again until the batch is full or nothing is left.
        // One message per pick, since each delivery changes which group is next.
        while (out.length < max) {
          const row = pick.get(this.name, now) as MessageRow | undefined;
          if (!row) return out;
          if (this.deadLetter && row.receive_count >= this.deadLetter.maxReceives) {
            redrive.run(this.deadLetter.name, now, row.id);
            continue;
          }
          const receipt = randomBytes(24).toString("base64url");
          const receiveCount = row.receive_count + 1;
          // At least 1 ms, so a zero-visibility delivery is not picked again by this same transaction.
          deliver.run(receipt, receiveCount, now + Math.max(1, Math.round(visibilitySeconds * 1000)), row.id);
          served.run(this.name, row.grp, this.name);
          out.push({ id: row.id, receipt, body: JSON.parse(row.body) as unknown, receiveCount });
        }
        return out;
      })
      .immediate();
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
