import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ApiError } from "@/lib/core/errors";
import type { DestinationDeliveryPatch, ScheduleCondition, SchedulePatch, ScheduleStore } from "@/lib/ports";
import type { DestinationDeliveryRecord, DestinationRecord, ScheduleRecord } from "@/lib/schedules/model";
import { awsErrorName } from "./aws-errors";
import { resolveClient, type ClientSource } from "./clients";
import { BY_ENTITY, BY_SUPPLIER, TTL_ATTRIBUTE } from "./dynamo-schema";

export interface DynamoScheduleStoreOptions {
  client: ClientSource<DynamoDBDocumentClient>;
  tableName: string;
  /** Deliveries are removed by TTL this long after they were created. Default 30 days. */
  deliveryRetentionDays?: number;
}

type Item = Record<string, unknown>;

const scheduleKey = (id: string) => ({ pk: `SCHEDULE#${id}`, sk: "SCHEDULE" });
const destinationKey = (id: string) => ({ pk: `DESTINATION#${id}`, sk: "DESTINATION" });
const deliveryKey = (id: string) => ({ pk: `DDELIVERY#${id}`, sk: "DDELIVERY" });
/** Active schedules sit in this partition of the `bySupplier` index, sorted by `<nextRunAt>#<id>`: the scheduler's "due" query. */
const DUE_PARTITION = "SCHEDULES_DUE";

/**
 * Schedules, destinations and push deliveries on DynamoDB, in the portal's
 * one table. Each item keeps its record as one JSON document (`doc`) beside
 * the attributes conditions and indexes need (`nextRunAt`, `version`,
 * `attempts`). A schedule's write is one conditional UpdateItem on those, so
 * two schedulers ticking at once cannot both claim one run (dynalite has no
 * transactions, and none are needed).
 *
 * Index use (keys only are read from the indexes; items by key, consistently):
 * byEntity `SCHEDULES#<supplier>` / `DESTINATIONS#<supplier>` / `DDELIVERIES#<destination>`;
 * bySupplier `SCHEDULES_DUE` (sorted by next run) and `DDELIVERIES_EXPORT#<export>`.
 */
export class DynamoScheduleStore implements ScheduleStore {
  constructor(private readonly opts: DynamoScheduleStoreOptions) {
    if (!opts.tableName) throw new Error("DynamoScheduleStore: tableName is required");
  }

  private get db(): DynamoDBDocumentClient {
    return resolveClient(this.opts.client);
  }

  private get table(): string {
    return this.opts.tableName;
  }

  /* ---------------------------------------------------------------- schedules */

  private scheduleItem(s: ScheduleRecord): Item {
    const item: Item = {
      ...scheduleKey(s.id),
      entityPk: `SCHEDULES#${s.supplierId}`,
      entitySk: `${s.createdAt}#${s.id}`,
      version: s.version,
      doc: JSON.stringify(s),
    };
    if (s.nextRunAt !== null) {
      item.nextRunAt = s.nextRunAt;
      item.supplierPk = DUE_PARTITION;
      item.createdKey = `${s.nextRunAt}#${s.id}`;
    }
    return item;
  }

  async createSchedule(s: ScheduleRecord): Promise<void> {
    await this.putNew(this.scheduleItem({ ...s, version: 1 }), `Schedule ${s.id} already exists.`);
  }

  async getSchedule(id: string): Promise<ScheduleRecord | null> {
    return this.getDoc<ScheduleRecord>(scheduleKey(id));
  }

  async listSchedules(supplierId: string): Promise<ScheduleRecord[]> {
    const keys = await this.listKeys(BY_ENTITY.name, BY_ENTITY.partitionKey, `SCHEDULES#${supplierId}`);
    return this.getAll<ScheduleRecord>(keys);
  }

  async listDue(now: string, limit: number): Promise<ScheduleRecord[]> {
    // "<now>#~" sorts after every "<now>#<id>": slots due exactly now are included.
    const keys = await this.listKeys(BY_SUPPLIER.name, BY_SUPPLIER.partitionKey, DUE_PARTITION, {
      limit,
      forward: true,
      sortBelow: { name: BY_SUPPLIER.sortKey, value: `${now}#~` },
    });
    return (await this.getAll<ScheduleRecord>(keys)).filter((s) => s.status === "active" && s.nextRunAt !== null && s.nextRunAt <= now);
  }

  async updateSchedule(id: string, cond: ScheduleCondition, patch: SchedulePatch): Promise<ScheduleRecord | null> {
    // The document is rewritten whole, so the read and the conditional write must agree on the version.
    for (let i = 0; i < 20; i++) {
      const current = await this.getSchedule(id);
      if (!current) return null;
      if (cond.nextRunAt !== undefined && current.nextRunAt !== cond.nextRunAt) return null;
      if (cond.version !== undefined && current.version !== cond.version) return null;
      const next: ScheduleRecord = { ...current, ...stripUndefined(patch), version: current.version + 1 };
      const item = this.scheduleItem(next);
      const names: Record<string, string> = { "#v": "version" };
      const values: Record<string, unknown> = { ":expected": current.version };
      let condition = "#v = :expected";
      if (cond.nextRunAt !== undefined) {
        names["#n"] = "nextRunAt";
        if (cond.nextRunAt === null) condition += " AND attribute_not_exists(#n)";
        else {
          values[":n"] = cond.nextRunAt;
          condition += " AND #n = :n";
        }
      }
      try {
        await this.db.send(new PutCommand({ TableName: this.table, Item: item, ConditionExpression: condition, ExpressionAttributeNames: names, ExpressionAttributeValues: values }));
        return next;
      } catch (err) {
        if (awsErrorName(err) !== "ConditionalCheckFailedException") throw err;
        // Someone wrote in between. With a condition of our own that is a lost race; otherwise re-read and re-apply.
        if (cond.version !== undefined || cond.nextRunAt !== undefined) return null;
      }
    }
    throw new Error(`schedule ${id}: too many concurrent writes`);
  }

  async deleteSchedule(id: string, supplierId: string): Promise<boolean> {
    return this.deleteOwned(scheduleKey(id), supplierId);
  }

  /* ------------------------------------------------------------- destinations */

  async createDestination(d: DestinationRecord): Promise<void> {
    await this.putNew(
      { ...destinationKey(d.id), entityPk: `DESTINATIONS#${d.supplierId}`, entitySk: `${d.createdAt}#${d.id}`, doc: JSON.stringify(d) },
      `Destination ${d.id} already exists.`,
    );
  }

  async getDestination(id: string): Promise<DestinationRecord | null> {
    return this.getDoc<DestinationRecord>(destinationKey(id));
  }

  async listDestinations(supplierId: string): Promise<DestinationRecord[]> {
    const keys = await this.listKeys(BY_ENTITY.name, BY_ENTITY.partitionKey, `DESTINATIONS#${supplierId}`);
    return this.getAll<DestinationRecord>(keys);
  }

  async updateDestinationConfig(id: string, supplierId: string, config: DestinationRecord["config"]): Promise<boolean> {
    const current = await this.getDestination(id);
    if (!current || current.supplierId !== supplierId) return false;
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: destinationKey(id),
          UpdateExpression: "SET #doc = :doc",
          ConditionExpression: "attribute_exists(pk)",
          ExpressionAttributeNames: { "#doc": "doc" },
          ExpressionAttributeValues: { ":doc": JSON.stringify({ ...current, config }) },
        }),
      );
      return true;
    } catch (err) {
      if (awsErrorName(err) === "ConditionalCheckFailedException") return false;
      throw err;
    }
  }

  async deleteDestination(id: string, supplierId: string): Promise<boolean> {
    return this.deleteOwned(destinationKey(id), supplierId);
  }

  /* --------------------------------------------------------------- deliveries */

  async createDelivery(d: DestinationDeliveryRecord): Promise<boolean> {
    const retentionDays = this.opts.deliveryRetentionDays ?? 30;
    try {
      await this.putNew(
        {
          ...deliveryKey(d.id),
          entityPk: `DDELIVERIES#${d.destinationId}`,
          entitySk: `${d.createdAt}#${d.id}`,
          supplierPk: `DDELIVERIES_EXPORT#${d.exportId}`,
          createdKey: `${d.createdAt}#${d.id}`,
          attempts: d.attempts,
          doc: JSON.stringify(d),
          [TTL_ATTRIBUTE]: Math.floor(Date.parse(d.createdAt) / 1000) + retentionDays * 86_400,
        },
        "exists",
      );
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.code === "conflict") return false;
      throw err;
    }
  }

  async getDelivery(id: string): Promise<DestinationDeliveryRecord | null> {
    return this.getDoc<DestinationDeliveryRecord>(deliveryKey(id));
  }

  async recordDeliveryAttempt(id: string, expectedAttempts: number, patch: DestinationDeliveryPatch): Promise<boolean> {
    const current = await this.getDelivery(id);
    if (!current || current.attempts !== expectedAttempts) return false;
    const next = { ...current, ...stripUndefined(patch) };
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: deliveryKey(id),
          UpdateExpression: "SET #doc = :doc, #a = :a",
          ConditionExpression: "#a = :expected",
          ExpressionAttributeNames: { "#doc": "doc", "#a": "attempts" },
          ExpressionAttributeValues: { ":doc": JSON.stringify(next), ":a": next.attempts, ":expected": expectedAttempts },
        }),
      );
      return true;
    } catch (err) {
      if (awsErrorName(err) === "ConditionalCheckFailedException") return false;
      throw err;
    }
  }

  async listDeliveriesForExport(exportId: string): Promise<DestinationDeliveryRecord[]> {
    const keys = await this.listKeys(BY_SUPPLIER.name, BY_SUPPLIER.partitionKey, `DDELIVERIES_EXPORT#${exportId}`, { forward: true });
    return this.getAll<DestinationDeliveryRecord>(keys);
  }

  async listDeliveries(destinationId: string, limit: number): Promise<DestinationDeliveryRecord[]> {
    const keys = await this.listKeys(BY_ENTITY.name, BY_ENTITY.partitionKey, `DDELIVERIES#${destinationId}`, { limit });
    return this.getAll<DestinationDeliveryRecord>(keys);
  }

  /* ---------------------------------------------------------------- internals */

  private async putNew(item: Item, conflictMessage: string): Promise<void> {
    try {
      await this.db.send(new PutCommand({ TableName: this.table, Item: item, ConditionExpression: "attribute_not_exists(pk)" }));
    } catch (err) {
      if (awsErrorName(err) === "ConditionalCheckFailedException") throw new ApiError("conflict", conflictMessage);
      throw err;
    }
  }

  private async getDoc<T>(key: { pk: string; sk: string }): Promise<T | null> {
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }));
    return out.Item ? (JSON.parse(String(out.Item.doc)) as T) : null;
  }

  private async getAll<T>(keys: { pk: string; sk: string }[]): Promise<T[]> {
    const items = await Promise.all(keys.map((k) => this.getDoc<T>(k)));
    return items.filter((x): x is Awaited<T> => x !== null) as T[];
  }

  private async deleteOwned(key: { pk: string; sk: string }, supplierId: string): Promise<boolean> {
    const current = await this.getDoc<{ supplierId: string }>(key);
    if (!current || current.supplierId !== supplierId) return false;
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: key }));
    return true;
  }

  /** Item keys under one index partition (newest first unless `forward`). */
  private async listKeys(
    index: string,
    partitionAttr: string,
    partition: string,
    opts: { limit?: number; forward?: boolean; sortBelow?: { name: string; value: string } } = {},
  ): Promise<{ pk: string; sk: string }[]> {
    const limit = opts.limit ?? Number.MAX_SAFE_INTEGER;
    const keys: { pk: string; sk: string }[] = [];
    let startKey: Item | undefined;
    const names: Record<string, string> = { "#p": partitionAttr };
    const values: Record<string, unknown> = { ":p": partition };
    let condition = "#p = :p";
    if (opts.sortBelow) {
      names["#s"] = opts.sortBelow.name;
      values[":s"] = opts.sortBelow.value;
      condition += " AND #s < :s";
    }
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: index,
          KeyConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: opts.forward ?? false,
          ExclusiveStartKey: startKey,
          Limit: Math.min(100, limit - keys.length),
        }),
      );
      for (const item of out.Items ?? []) keys.push({ pk: String(item.pk), sk: String(item.sk) });
      startKey = out.LastEvaluatedKey;
    } while (startKey && keys.length < limit);
    return keys;
  }
}

function stripUndefined<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}
