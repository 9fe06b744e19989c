import type { Database } from "better-sqlite3";
import type { RequestClaim, RequestClaimStore } from "@/lib/ports";

const CLAIMS = "request_claims";

interface Row {
  key: string;
  export_id: string;
  request_hash: string;
  created_at: string;
  expires_at: string;
}

/**
 * Idempotency keys and active-request fingerprints for local mode. Each claim
 * is an `INSERT ... ON CONFLICT DO UPDATE ... WHERE expired` in one statement:
 * SQLite serialises writers, so of several concurrent claims exactly one wins.
 */
export class SqliteRequestClaimStore implements RequestClaimStore {
  constructor(private readonly db: Database) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS ${CLAIMS} (
        key TEXT PRIMARY KEY,
        export_id TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS ${CLAIMS}_expires ON ${CLAIMS} (expires_at);
    `);
  }

  async claim(claim: RequestClaim, now: string): Promise<RequestClaim | null> {
    return this.db
      .transaction((): RequestClaim | null => {
        // Expired claims are dead weight: drop a few on each write instead of running a sweeper.
        this.db.prepare(`DELETE FROM ${CLAIMS} WHERE key IN (SELECT key FROM ${CLAIMS} WHERE expires_at < ? LIMIT 50)`).run(now);
        const { changes } = this.db
          .prepare(
            `INSERT INTO ${CLAIMS} (key, export_id, request_hash, created_at, expires_at) VALUES (@key, @export_id, @request_hash, @created_at, @expires_at)
             ON CONFLICT (key) DO UPDATE SET export_id = excluded.export_id, request_hash = excluded.request_hash,
               created_at = excluded.created_at, expires_at = excluded.expires_at
             WHERE ${CLAIMS}.expires_at <= @now`,
          )
          .run({ ...toRow(claim), now });
        if (changes > 0) return null;
        return fromRow(this.db.prepare(`SELECT * FROM ${CLAIMS} WHERE key = ?`).get(claim.key) as Row);
      })
      .immediate();
  }

  async replace(claim: RequestClaim, expectedExportId: string): Promise<boolean> {
    const { changes } = this.db
      .prepare(
        `UPDATE ${CLAIMS} SET export_id = @export_id, request_hash = @request_hash, created_at = @created_at, expires_at = @expires_at
         WHERE key = @key AND export_id = @expected`,
      )
      .run({ ...toRow(claim), expected: expectedExportId });
    return changes > 0;
  }

  async release(key: string, exportId: string): Promise<void> {
    this.db.prepare(`DELETE FROM ${CLAIMS} WHERE key = ? AND export_id = ?`).run(key, exportId);
  }
}

function toRow(c: RequestClaim): Row {
  return { key: c.key, export_id: c.exportId, request_hash: c.requestHash, created_at: c.createdAt, expires_at: c.expiresAt };
}

function fromRow(r: Row): RequestClaim {
  return { key: r.key, exportId: r.export_id, requestHash: r.request_hash, createdAt: r.created_at, expiresAt: r.expires_at };
}
