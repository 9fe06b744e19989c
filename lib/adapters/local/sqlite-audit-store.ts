import type { Database } from "better-sqlite3";
import { decodeAuditCursor, encodeAuditCursor } from "@/lib/audit/cursor";
import type { AuditEntry, AuditQuery, AuditStore } from "@/lib/ports";

const AUDIT = "audit_log";

interface Row {
  id: string;
  at: string;
  action: string;
  actor_id: string | null;
  actor_email: string | null;
  via: string;
  supplier_id: string | null;
  target: string | null;
  ip: string | null;
  user_agent: string | null;
  detail: string | null;
}

/**
 * The audit log for local mode, in the shared SQLite file. Append-only in the
 * database itself: a trigger refuses every UPDATE, so no code path (ours or a
 * stray script) can rewrite an entry; DELETE is left for `prune`, the retention sweep.
 */
export class SqliteAuditStore implements AuditStore {
  constructor(private readonly db: Database) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS ${AUDIT} (
        id TEXT PRIMARY KEY,
        at TEXT NOT NULL,
        action TEXT NOT NULL,
        actor_id TEXT,
        actor_email TEXT,
        via TEXT NOT NULL,
        supplier_id TEXT,
        target TEXT,
        ip TEXT,
        user_agent TEXT,
        detail TEXT
      );
      CREATE INDEX IF NOT EXISTS ${AUDIT}_at ON ${AUDIT} (at DESC, id DESC);
      CREATE INDEX IF NOT EXISTS ${AUDIT}_supplier ON ${AUDIT} (supplier_id, at DESC, id DESC);
      CREATE TRIGGER IF NOT EXISTS ${AUDIT}_append_only BEFORE UPDATE ON ${AUDIT}
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    `);
  }

  async append(e: AuditEntry): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO ${AUDIT} (id, at, action, actor_id, actor_email, via, supplier_id, target, ip, user_agent, detail)
         VALUES (@id, @at, @action, @actor_id, @actor_email, @via, @supplier_id, @target, @ip, @user_agent, @detail)
         ON CONFLICT (id) DO NOTHING`,
      )
      .run(toRow(e));
  }

  async list(q: AuditQuery): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
    const where: string[] = [];
    const args: Record<string, string | number> = { limit: q.limit + 1 };
    if (q.supplierId !== undefined) {
      where.push("supplier_id = @supplierId");
      args.supplierId = q.supplierId;
    }
    if (q.action) {
      where.push("action = @action");
      args.action = q.action;
    }
    if (q.actorEmail) {
      where.push("actor_email = @actorEmail");
      args.actorEmail = q.actorEmail;
    }
    if (q.from) {
      where.push("at >= @from");
      args.from = q.from;
    }
    if (q.to) {
      where.push("at < @to");
      args.to = q.to;
    }
    if (q.cursor) {
      const c = decodeAuditCursor(q.cursor);
      where.push("(at < @cAt OR (at = @cAt AND id < @cId))");
      args.cAt = c.at;
      args.cId = c.id;
    }
    const sql = `SELECT * FROM ${AUDIT} ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY at DESC, id DESC LIMIT @limit`;
    const rows = this.db.prepare(sql).all(args) as Row[];
    const items = rows.slice(0, q.limit).map(fromRow);
    return { items, nextCursor: rows.length > q.limit ? encodeAuditCursor(items[items.length - 1]!) : null };
  }

  async prune(before: string): Promise<number> {
    return this.db.prepare(`DELETE FROM ${AUDIT} WHERE at < ?`).run(before).changes;
  }
}

function toRow(e: AuditEntry): Row {
  return {
    id: e.id,
    at: e.at,
    action: e.action,
    actor_id: e.actorId,
    actor_email: e.actorEmail,
    via: e.via,
    supplier_id: e.supplierId,
    target: e.target,
    ip: e.ip,
    user_agent: e.userAgent,
    detail: e.detail,
  };
}

function fromRow(r: Row): AuditEntry {
  return {
    id: r.id,
    at: r.at,
    action: r.action,
    actorId: r.actor_id,
    actorEmail: r.actor_email,
    via: r.via,
    supplierId: r.supplier_id,
    target: r.target,
    ip: r.ip,
    userAgent: r.user_agent,
    detail: r.detail,
  };
}
