import type { Database } from "better-sqlite3";
import { ApiError } from "@/lib/core/errors";
import type { DestinationDeliveryPatch, ScheduleCondition, SchedulePatch, ScheduleStore } from "@/lib/ports";
import type { DestinationDeliveryRecord, DestinationRecord, ScheduleRecord } from "@/lib/schedules/model";

const SCHEDULES = "schedules";
const DESTINATIONS = "destinations";
const DELIVERIES = "destination_deliveries";

/**
 * Schedules, destinations and push deliveries for local mode, in the shared
 * SQLite file. Each record is one JSON document; the columns beside it are
 * what queries filter on. Compare-and-set writes run in `BEGIN IMMEDIATE`
 * transactions, so the web process and the worker never both win one.
 */
export class SqliteScheduleStore implements ScheduleStore {
  constructor(private readonly db: Database) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS ${SCHEDULES} (
        id TEXT PRIMARY KEY,
        supplier_id TEXT NOT NULL,
        next_run_at TEXT,
        created_at TEXT NOT NULL,
        data TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS ${SCHEDULES}_supplier ON ${SCHEDULES} (supplier_id, created_at DESC);
      CREATE INDEX IF NOT EXISTS ${SCHEDULES}_due ON ${SCHEDULES} (next_run_at) WHERE next_run_at IS NOT NULL;
      CREATE TABLE IF NOT EXISTS ${DESTINATIONS} (
        id TEXT PRIMARY KEY,
        supplier_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        data TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS ${DESTINATIONS}_supplier ON ${DESTINATIONS} (supplier_id, created_at DESC);
      CREATE TABLE IF NOT EXISTS ${DELIVERIES} (
        id TEXT PRIMARY KEY,
        destination_id TEXT NOT NULL,
        export_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        data TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS ${DELIVERIES}_destination ON ${DELIVERIES} (destination_id, created_at DESC);
      CREATE INDEX IF NOT EXISTS ${DELIVERIES}_export ON ${DELIVERIES} (export_id, created_at);
    `);
  }

  /* ---------------------------------------------------------------- schedules */

  async createSchedule(s: ScheduleRecord): Promise<void> {
    try {
      this.db
        .prepare(`INSERT INTO ${SCHEDULES} (id, supplier_id, next_run_at, created_at, data) VALUES (?, ?, ?, ?, ?)`)
        .run(s.id, s.supplierId, s.nextRunAt, s.createdAt, JSON.stringify({ ...s, version: 1 }));
    } catch (err) {
      if (isConstraint(err)) throw new ApiError("conflict", `Schedule ${s.id} already exists.`);
      throw err;
    }
  }

  async getSchedule(id: string): Promise<ScheduleRecord | null> {
    const row = this.db.prepare(`SELECT data FROM ${SCHEDULES} WHERE id = ?`).get(id) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as ScheduleRecord) : null;
  }

  async listSchedules(supplierId: string): Promise<ScheduleRecord[]> {
    const rows = this.db.prepare(`SELECT data FROM ${SCHEDULES} WHERE supplier_id = ? ORDER BY created_at DESC, id DESC`).all(supplierId) as { data: string }[];
    return rows.map((r) => JSON.parse(r.data) as ScheduleRecord);
  }

  async listDue(now: string, limit: number): Promise<ScheduleRecord[]> {
    const rows = this.db
      .prepare(`SELECT data FROM ${SCHEDULES} WHERE next_run_at IS NOT NULL AND next_run_at <= ? ORDER BY next_run_at, id LIMIT ?`)
      .all(now, limit) as { data: string }[];
    return rows.map((r) => JSON.parse(r.data) as ScheduleRecord).filter((s) => s.status === "active");
  }

  async updateSchedule(id: string, cond: ScheduleCondition, patch: SchedulePatch): Promise<ScheduleRecord | null> {
    const apply = this.db.transaction((): ScheduleRecord | null => {
      const row = this.db.prepare(`SELECT data FROM ${SCHEDULES} WHERE id = ?`).get(id) as { data: string } | undefined;
      if (!row) return null;
      const current = JSON.parse(row.data) as ScheduleRecord;
      if (cond.nextRunAt !== undefined && current.nextRunAt !== cond.nextRunAt) return null;
      if (cond.version !== undefined && current.version !== cond.version) return null;
      const next: ScheduleRecord = { ...current, ...stripUndefined(patch), version: current.version + 1 };
      this.db.prepare(`UPDATE ${SCHEDULES} SET next_run_at = ?, data = ? WHERE id = ?`).run(next.nextRunAt, JSON.stringify(next), id);
      return next;
    });
    return apply.immediate();
  }

  async deleteSchedule(id: string, supplierId: string): Promise<boolean> {
    return this.db.prepare(`DELETE FROM ${SCHEDULES} WHERE id = ? AND supplier_id = ?`).run(id, supplierId).changes > 0;
  }

  /* ------------------------------------------------------------- destinations */

  async createDestination(d: DestinationRecord): Promise<void> {
    try {
      this.db.prepare(`INSERT INTO ${DESTINATIONS} (id, supplier_id, created_at, data) VALUES (?, ?, ?, ?)`).run(d.id, d.supplierId, d.createdAt, JSON.stringify(d));
    } catch (err) {
      if (isConstraint(err)) throw new ApiError("conflict", `Destination ${d.id} already exists.`);
      throw err;
    }
  }

  async getDestination(id: string): Promise<DestinationRecord | null> {
    const row = this.db.prepare(`SELECT data FROM ${DESTINATIONS} WHERE id = ?`).get(id) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as DestinationRecord) : null;
  }

  async listDestinations(supplierId: string): Promise<DestinationRecord[]> {
    const rows = this.db.prepare(`SELECT data FROM ${DESTINATIONS} WHERE supplier_id = ? ORDER BY created_at DESC, id DESC`).all(supplierId) as { data: string }[];
    return rows.map((r) => JSON.parse(r.data) as DestinationRecord);
  }

  async updateDestinationConfig(id: string, supplierId: string, config: DestinationRecord["config"]): Promise<boolean> {
    const apply = this.db.transaction((): boolean => {
      const current = this.db.prepare(`SELECT data FROM ${DESTINATIONS} WHERE id = ? AND supplier_id = ?`).get(id, supplierId) as { data: string } | undefined;
      if (!current) return false;
      const next = { ...(JSON.parse(current.data) as DestinationRecord), config };
      this.db.prepare(`UPDATE ${DESTINATIONS} SET data = ? WHERE id = ?`).run(JSON.stringify(next), id);
      return true;
    });
    return apply.immediate();
  }

  async deleteDestination(id: string, supplierId: string): Promise<boolean> {
    return this.db.prepare(`DELETE FROM ${DESTINATIONS} WHERE id = ? AND supplier_id = ?`).run(id, supplierId).changes > 0;
  }

  /* --------------------------------------------------------------- deliveries */

  async createDelivery(d: DestinationDeliveryRecord): Promise<boolean> {
    const { changes } = this.db
      .prepare(`INSERT INTO ${DELIVERIES} (id, destination_id, export_id, created_at, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`)
      .run(d.id, d.destinationId, d.exportId, d.createdAt, JSON.stringify(d));
    return changes > 0;
  }

  async getDelivery(id: string): Promise<DestinationDeliveryRecord | null> {
    const row = this.db.prepare(`SELECT data FROM ${DELIVERIES} WHERE id = ?`).get(id) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as DestinationDeliveryRecord) : null;
  }

  async recordDeliveryAttempt(id: string, expectedAttempts: number, patch: DestinationDeliveryPatch): Promise<boolean> {
    const apply = this.db.transaction((): boolean => {
      const row = this.db.prepare(`SELECT data FROM ${DELIVERIES} WHERE id = ?`).get(id) as { data: string } | undefined;
      if (!row) return false;
      const current = JSON.parse(row.data) as DestinationDeliveryRecord;
      if (current.attempts !== expectedAttempts) return false;
      this.db.prepare(`UPDATE ${DELIVERIES} SET data = ? WHERE id = ?`).run(JSON.stringify({ ...current, ...stripUndefined(patch) }), id);
      return true;
    });
    return apply.immediate();
  }

  async listDeliveriesForExport(exportId: string): Promise<DestinationDeliveryRecord[]> {
    const rows = this.db.prepare(`SELECT data FROM ${DELIVERIES} WHERE export_id = ? ORDER BY created_at, id`).all(exportId) as { data: string }[];
    return rows.map((r) => JSON.parse(r.data) as DestinationDeliveryRecord);
  }

  async listDeliveries(destinationId: string, limit: number): Promise<DestinationDeliveryRecord[]> {
    const rows = this.db
      .prepare(`SELECT data FROM ${DELIVERIES} WHERE destination_id = ? ORDER BY created_at DESC, id DESC LIMIT ?`)
      .all(destinationId, limit) as { data: string }[];
    return rows.map((r) => JSON.parse(r.data) as DestinationDeliveryRecord);
  }
}

function isConstraint(err: unknown): boolean {
  return err instanceof Error && String((err as { code?: unknown }).code).startsWith("SQLITE_CONSTRAINT");
}

function stripUndefined<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}
