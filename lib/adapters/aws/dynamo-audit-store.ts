import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { decodeAuditCursor, encodeAuditCursor } from "@/lib/audit/cursor";
import type { AuditEntry, AuditQuery, AuditStore } from "@/lib/ports";
import { awsErrorName } from "./aws-errors";
import { AUDIT_ENTITY, auditKey, auditSupplierPk, BY_ENTITY, BY_SUPPLIER, TTL_ATTRIBUTE } from "./dynamo-schema";
import { DynamoTable, fromAttributes, toAttributes, type DynamoTableOptions } from "./dynamo-table";

export interface DynamoAuditStoreOptions extends DynamoTableOptions {
  /** Entries are removed by the table's TTL this long after they were written. */
  retentionDays: number;
}

type Item = Record<string, unknown>;

const FIELDS = ["id", "at", "action", "actorId", "actorEmail", "via", "supplierId", "target", "ip", "userAgent", "detail"] as const;

/**
 * The audit log on DynamoDB, one `AUDIT#<id>` item per entry (see
 * `dynamo-schema.ts`). Append-only: entries are written with a conditional
 * put that never overwrites, and this adapter has no update. Retention is the
 * table's TTL (`expiresAtEpoch`), plus `prune` for what TTL has not removed
 * yet (it runs up to 48 h late).
 *
 * Lists read keys newest first from `byEntity` (every entry) or `bySupplier`
 * (one supplier's), bounded by from/to/cursor in the key condition, then the
 * entries by key; action and actor filters apply to those, reading on until the
 * page is full.
 */
export class DynamoAuditStore extends DynamoTable<DynamoAuditStoreOptions> implements AuditStore {
  constructor(opts: DynamoAuditStoreOptions) {
    super(opts, "DynamoAuditStore");
  }

  async append(e: AuditEntry): Promise<void> {
    const sortKey = `${e.at}#${e.id}`;
    const item: Item = { ...toAttributes(e, FIELDS), ...auditKey(e.id), entityPk: AUDIT_ENTITY, entitySk: sortKey };
    if (e.supplierId !== null) Object.assign(item, { supplierPk: auditSupplierPk(e.supplierId), createdKey: sortKey });
    item[TTL_ATTRIBUTE] = Math.floor(Date.parse(e.at) / 1000) + this.opts.retentionDays * 86_400;
    try {
      await this.db.send(new PutCommand({ TableName: this.opts.tableName, Item: item, ConditionExpression: "attribute_not_exists(pk)" }));
    } catch (err) {
      if (awsErrorName(err) !== "ConditionalCheckFailedException") throw err; // a retried append: the first one stands
    }
  }

  async list(q: AuditQuery): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
    const index = q.supplierId !== undefined ? BY_SUPPLIER : BY_ENTITY;
    const partition = q.supplierId !== undefined ? auditSupplierPk(q.supplierId) : AUDIT_ENTITY;
    // Sort keys are `<at>#<id>`: "0" is below every ISO time and "~" above; `<to>` alone is below every key at `to`.
    const cursor = q.cursor ? decodeAuditCursor(q.cursor) : null;
    const cursorKey = cursor ? `${cursor.at}#${cursor.id}` : null;
    let hi = q.to ?? "~";
    if (cursorKey && cursorKey < hi) hi = cursorKey;
    const lo = q.from ?? "0";
    const matches: AuditEntry[] = [];
    let startKey: Item | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.opts.tableName,
          IndexName: index.name,
          KeyConditionExpression: "#p = :p AND #s BETWEEN :lo AND :hi",
          ExpressionAttributeNames: { "#p": index.partitionKey, "#s": index.sortKey },
          ExpressionAttributeValues: { ":p": partition, ":lo": lo, ":hi": hi },
          ScanIndexForward: false,
          Limit: Math.min(100, q.limit + 1),
          ExclusiveStartKey: startKey,
        }),
      );
      const keys = (out.Items ?? []).map((i) => ({ pk: String(i.pk), sk: String(i.sk) }));
      const entries = await Promise.all(keys.map((k) => this.getByKey(k)));
      for (const e of entries) {
        if (!e || (cursorKey && `${e.at}#${e.id}` >= cursorKey)) continue;
        if ((q.action && e.action !== q.action) || (q.actorEmail && e.actorEmail !== q.actorEmail)) continue;
        matches.push(e);
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey && matches.length <= q.limit);
    const items = matches.slice(0, q.limit);
    return { items, nextCursor: matches.length > q.limit ? encodeAuditCursor(items[items.length - 1]!) : null };
  }

  async prune(before: string): Promise<number> {
    let removed = 0;
    let startKey: Item | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.opts.tableName,
          IndexName: BY_ENTITY.name,
          KeyConditionExpression: "#p = :p AND #s < :before",
          ExpressionAttributeNames: { "#p": BY_ENTITY.partitionKey, "#s": BY_ENTITY.sortKey },
          ExpressionAttributeValues: { ":p": AUDIT_ENTITY, ":before": before },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const i of out.Items ?? []) {
        await this.db.send(new DeleteCommand({ TableName: this.opts.tableName, Key: { pk: i.pk, sk: i.sk } }));
        removed++;
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return removed;
  }

  private async getByKey(key: { pk: string; sk: string }): Promise<AuditEntry | null> {
    const out = await this.db.send(new GetCommand({ TableName: this.opts.tableName, Key: key, ConsistentRead: true }));
    return out.Item ? (fromAttributes(out.Item, FIELDS) as unknown as AuditEntry) : null;
  }
}
