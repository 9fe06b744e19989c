import type { Database } from "better-sqlite3";
import type { RateLimiter, RateLimitVerdict } from "@/lib/ports";

const TABLE = "rate_limits";

export interface SqliteRateLimiterOptions {
  db: Database;
  /** Requests allowed per key per window. */
  limit: number;
  windowSeconds: number;
}

/**
 * The request rate limit for local mode, in the SQLite file the web and
 * worker processes share: one row per key and window, counted up with one
 * `INSERT ... ON CONFLICT DO UPDATE ... WHERE count < limit` (SQLite
 * serialises writers, so concurrent requests over the limit all see "no").
 * Same fixed-window semantics as the DynamoDB limiter (see lib/ports.ts).
 */
export class SqliteRateLimiter implements RateLimiter {
  constructor(private readonly opts: SqliteRateLimiterOptions) {
    if (!(opts.limit >= 1) || !(opts.windowSeconds >= 1)) throw new Error("SqliteRateLimiter: limit and windowSeconds must be at least 1");
    opts.db.exec(`
      CREATE TABLE IF NOT EXISTS ${TABLE} (
        key TEXT NOT NULL,
        window_start INTEGER NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (key, window_start)
      );
      CREATE INDEX IF NOT EXISTS ${TABLE}_window ON ${TABLE} (window_start);
    `);
  }

  async take(key: string, now: Date = new Date()): Promise<RateLimitVerdict> {
    const { limit, windowSeconds, db } = this.opts;
    const nowSeconds = now.getTime() / 1000;
    const windowStart = Math.floor(nowSeconds / windowSeconds) * windowSeconds;
    const retryAfterSeconds = Math.max(1, Math.ceil(windowStart + windowSeconds - nowSeconds));
    const row = db
      .transaction(() => {
        // Past windows are dead weight: drop a few on each write instead of running a sweeper.
        db.prepare(`DELETE FROM ${TABLE} WHERE rowid IN (SELECT rowid FROM ${TABLE} WHERE window_start < ? LIMIT 50)`).run(windowStart);
        return db
          .prepare(
            `INSERT INTO ${TABLE} (key, window_start, count) VALUES (?, ?, 1)
             ON CONFLICT (key, window_start) DO UPDATE SET count = count + 1 WHERE count < ?
             RETURNING count`,
          )
          .get(key, windowStart, limit) as { count: number } | undefined;
      })
      .immediate();
    if (!row) return { allowed: false, retryAfterSeconds, remaining: 0 };
    return { allowed: true, retryAfterSeconds: 0, remaining: limit - row.count };
  }
}
