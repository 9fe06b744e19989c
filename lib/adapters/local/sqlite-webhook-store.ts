import type { Database } from "better-sqlite3";
import { ApiError } from "@/lib/core/errors";
import type { WebhookAttemptPatch, WebhookDeliveryRecord, WebhookEndpointRecord, WebhookEvent, WebhookStore } from "@/lib/ports";

const ENDPOINTS = "webhook_endpoints";
const DELIVERIES = "webhook_deliveries";

type Row = Record<string, string | number | null>;

/** Webhook endpoints and their delivery log for local mode, in the shared SQLite file. */
export class SqliteWebhookStore implements WebhookStore {
  constructor(private readonly db: Database) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS ${ENDPOINTS} (
        id TEXT PRIMARY KEY,
        supplier_id TEXT NOT NULL,
        url TEXT NOT NULL,
        events TEXT NOT NULL,
        secret TEXT NOT NULL,
        description TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS ${ENDPOINTS}_supplier ON ${ENDPOINTS} (supplier_id, created_at DESC);
      CREATE TABLE IF NOT EXISTS ${DELIVERIES} (
        id TEXT PRIMARY KEY,
        endpoint_id TEXT NOT NULL,
        supplier_id TEXT NOT NULL,
        export_id TEXT NOT NULL,
        event TEXT NOT NULL,
        payload TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        last_attempt_at TEXT,
        last_status_code INTEGER,
        last_error TEXT,
        next_attempt_at TEXT,
        created_at TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS ${DELIVERIES}_endpoint ON ${DELIVERIES} (endpoint_id, created_at DESC);
    `);
  }

  async createEndpoint(e: WebhookEndpointRecord): Promise<void> {
    try {
      this.db
        .prepare(
          `INSERT INTO ${ENDPOINTS} (id, supplier_id, url, events, secret, description, created_by, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(e.id, e.supplierId, e.url, JSON.stringify(e.events), e.secret, e.description, e.createdBy, e.createdAt);
    } catch (err) {
      if (err instanceof Error && String((err as { code?: unknown }).code).startsWith("SQLITE_CONSTRAINT")) {
        throw new ApiError("conflict", `Webhook endpoint ${e.id} already exists.`);
      }
      throw err;
    }
  }

  async getEndpoint(id: string): Promise<WebhookEndpointRecord | null> {
    const row = this.db.prepare(`SELECT * FROM ${ENDPOINTS} WHERE id = ?`).get(id) as Row | undefined;
    return row ? endpointFromRow(row) : null;
  }

  async listEndpoints(supplierId: string): Promise<WebhookEndpointRecord[]> {
    const rows = this.db.prepare(`SELECT * FROM ${ENDPOINTS} WHERE supplier_id = ? ORDER BY created_at DESC, id DESC`).all(supplierId) as Row[];
    return rows.map(endpointFromRow);
  }

  async deleteEndpoint(id: string, supplierId: string): Promise<boolean> {
    return this.db.prepare(`DELETE FROM ${ENDPOINTS} WHERE id = ? AND supplier_id = ?`).run(id, supplierId).changes > 0;
  }

  async createDelivery(d: WebhookDeliveryRecord): Promise<boolean> {
    const { changes } = this.db
      .prepare(
        `INSERT INTO ${DELIVERIES} (id, endpoint_id, supplier_id, export_id, event, payload, status, attempts, last_attempt_at,
           last_status_code, last_error, next_attempt_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      )
      .run(d.id, d.endpointId, d.supplierId, d.exportId, d.event, d.payload, d.status, d.attempts, d.lastAttemptAt, d.lastStatusCode, d.lastError, d.nextAttemptAt, d.createdAt);
    return changes > 0;
  }

  async getDelivery(id: string): Promise<WebhookDeliveryRecord | null> {
    const row = this.db.prepare(`SELECT * FROM ${DELIVERIES} WHERE id = ?`).get(id) as Row | undefined;
    return row ? deliveryFromRow(row) : null;
  }

  async recordAttempt(id: string, expectedAttempts: number, p: WebhookAttemptPatch): Promise<boolean> {
    const { changes } = this.db
      .prepare(
        `UPDATE ${DELIVERIES} SET status = ?, attempts = ?, last_attempt_at = ?, last_status_code = ?, last_error = ?, next_attempt_at = ?
         WHERE id = ? AND attempts = ?`,
      )
      .run(p.status, p.attempts, p.lastAttemptAt, p.lastStatusCode, p.lastError, p.nextAttemptAt, id, expectedAttempts);
    return changes > 0;
  }

  async listDeliveries(endpointId: string, limit: number): Promise<WebhookDeliveryRecord[]> {
    const rows = this.db
      .prepare(`SELECT * FROM ${DELIVERIES} WHERE endpoint_id = ? ORDER BY created_at DESC, id DESC LIMIT ?`)
      .all(endpointId, limit) as Row[];
    return rows.map(deliveryFromRow);
  }
}

function endpointFromRow(r: Row): WebhookEndpointRecord {
  return {
    id: String(r.id),
    supplierId: String(r.supplier_id),
    url: String(r.url),
    events: JSON.parse(String(r.events)) as WebhookEvent[],
    secret: String(r.secret),
    description: String(r.description),
    createdBy: String(r.created_by),
    createdAt: String(r.created_at),
  };
}

function deliveryFromRow(r: Row): WebhookDeliveryRecord {
  return {
    id: String(r.id),
    endpointId: String(r.endpoint_id),
    supplierId: String(r.supplier_id),
    exportId: String(r.export_id),
    event: r.event as WebhookEvent,
    payload: String(r.payload),
    status: r.status as WebhookDeliveryRecord["status"],
    attempts: Number(r.attempts),
    lastAttemptAt: (r.last_attempt_at as string | null) ?? null,
    lastStatusCode: r.last_status_code === null ? null : Number(r.last_status_code),
    lastError: (r.last_error as string | null) ?? null,
    nextAttemptAt: (r.next_attempt_at as string | null) ?? null,
    createdAt: String(r.created_at),
  };
}
