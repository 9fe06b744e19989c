import type { Database } from "better-sqlite3";
import { ApiError } from "@/lib/core/errors";
import type { ApiTokenRecord, ApiTokenStore } from "@/lib/ports";
import { LEGACY_TOKEN_SCOPES } from "@/lib/tokens/scopes";

const TOKENS = "api_tokens";

interface Row {
  id: string;
  prefix: string;
  secret_hash: string;
  name: string;
  user_id: string;
  supplier_id: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  /** JSON array. */
  scopes: string;
  expires_at: string | null;
}

/** API tokens for local mode, in the shared SQLite file. The prefix column is UNIQUE: it is how a token is found. */
export class SqliteApiTokenStore implements ApiTokenStore {
  constructor(private readonly db: Database) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS ${TOKENS} (
        id TEXT PRIMARY KEY,
        prefix TEXT NOT NULL UNIQUE,
        secret_hash TEXT NOT NULL,
        name TEXT NOT NULL,
        user_id TEXT NOT NULL,
        supplier_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        last_used_at TEXT,
        revoked_at TEXT
      );
      CREATE INDEX IF NOT EXISTS ${TOKENS}_supplier ON ${TOKENS} (supplier_id, created_at DESC);
    `);
    // Columns added with scopes (issue 15): tokens made before keep the rights they had.
    const have = new Set((db.prepare(`PRAGMA table_info(${TOKENS})`).all() as { name: string }[]).map((c) => c.name));
    if (!have.has("scopes")) db.prepare(`ALTER TABLE ${TOKENS} ADD COLUMN scopes TEXT NOT NULL DEFAULT '${JSON.stringify(LEGACY_TOKEN_SCOPES)}'`).run();
    if (!have.has("expires_at")) db.exec(`ALTER TABLE ${TOKENS} ADD COLUMN expires_at TEXT`);
  }

  async createToken(token: ApiTokenRecord): Promise<void> {
    try {
      this.db
        .prepare(
          `INSERT INTO ${TOKENS} (id, prefix, secret_hash, name, user_id, supplier_id, created_at, last_used_at, revoked_at, scopes, expires_at)
           VALUES (@id, @prefix, @secret_hash, @name, @user_id, @supplier_id, @created_at, @last_used_at, @revoked_at, @scopes, @expires_at)`,
        )
        .run(toRow(token));
    } catch (err) {
      if (err instanceof Error && String((err as { code?: unknown }).code).startsWith("SQLITE_CONSTRAINT")) {
        throw new ApiError("conflict", `Token ${token.id} already exists.`);
      }
      throw err;
    }
  }

  async getTokenByPrefix(prefix: string): Promise<ApiTokenRecord | null> {
    const row = this.db.prepare(`SELECT * FROM ${TOKENS} WHERE prefix = ?`).get(prefix) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  async listTokens(supplierId: string): Promise<ApiTokenRecord[]> {
    const rows = this.db.prepare(`SELECT * FROM ${TOKENS} WHERE supplier_id = ? ORDER BY created_at DESC, id DESC`).all(supplierId) as Row[];
    return rows.map(fromRow);
  }

  async revokeToken(id: string, supplierId: string, at: string): Promise<ApiTokenRecord | null> {
    return this.db
      .transaction(() => {
        this.db.prepare(`UPDATE ${TOKENS} SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? AND supplier_id = ?`).run(at, id, supplierId);
        const row = this.db.prepare(`SELECT * FROM ${TOKENS} WHERE id = ? AND supplier_id = ?`).get(id, supplierId) as Row | undefined;
        return row ? fromRow(row) : null;
      })
      .immediate();
  }

  async revokeUserTokens(supplierId: string, userId: string, at: string): Promise<number> {
    return this.db.prepare(`UPDATE ${TOKENS} SET revoked_at = ? WHERE supplier_id = ? AND user_id = ? AND revoked_at IS NULL`).run(at, supplierId, userId).changes;
  }

  async touchToken(prefix: string, at: string, staleBefore: string): Promise<void> {
    this.db.prepare(`UPDATE ${TOKENS} SET last_used_at = ? WHERE prefix = ? AND (last_used_at IS NULL OR last_used_at < ?)`).run(at, prefix, staleBefore);
  }
}

function toRow(t: ApiTokenRecord): Row {
  return {
    id: t.id,
    prefix: t.prefix,
    secret_hash: t.secretHash,
    name: t.name,
    user_id: t.userId,
    supplier_id: t.supplierId,
    created_at: t.createdAt,
    last_used_at: t.lastUsedAt,
    revoked_at: t.revokedAt,
    scopes: JSON.stringify(t.scopes),
    expires_at: t.expiresAt,
  };
}

function fromRow(r: Row): ApiTokenRecord {
  return {
    id: r.id,
    prefix: r.prefix,
    secretHash: r.secret_hash,
    name: r.name,
    userId: r.user_id,
    supplierId: r.supplier_id,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
    scopes: JSON.parse(r.scopes) as string[],
    expiresAt: r.expires_at,
  };
}
