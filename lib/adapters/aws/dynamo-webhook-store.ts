import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ApiError } from "@/lib/core/errors";
import type { WebhookAttemptPatch, WebhookDeliveryRecord, WebhookEndpointRecord, WebhookStore } from "@/lib/ports";
import { awsErrorName } from "./aws-errors";
import { resolveClient, type ClientSource } from "./clients";
import { BY_ENTITY, deliveriesEntity, deliveryKey, TTL_ATTRIBUTE, webhookKey, webhooksEntity } from "./dynamo-schema";

export interface DynamoWebhookStoreOptions {
  client: ClientSource<DynamoDBDocumentClient>;
  tableName: string;
  /** Deliveries are removed by TTL this long after they were created. Default 30 days. */
  deliveryRetentionDays?: number;
}

type Item = Record<string, unknown>;

const ENDPOINT_FIELDS = ["id", "supplierId", "url", "events", "secret", "description", "createdBy", "createdAt"] as const;
const DELIVERY_FIELDS = [
  "id",
  "endpointId",
  "supplierId",
  "exportId",
  "event",
  "payload",
  "status",
  "attempts",
  "lastAttemptAt",
  "lastStatusCode",
  "lastError",
  "nextAttemptAt",
  "createdAt",
] as const;

/**
 * Webhook endpoints and their delivery log on DynamoDB (see `dynamo-schema.ts`).
 * Each attempt is recorded with a conditional UpdateItem on the attempt count,
 * so two workers holding duplicate messages cannot both record one attempt.
 */
export class DynamoWebhookStore implements WebhookStore {
  constructor(private readonly opts: DynamoWebhookStoreOptions) {
    if (!opts.tableName) throw new Error("DynamoWebhookStore: tableName is required");
  }

  private get db(): DynamoDBDocumentClient {
    return resolveClient(this.opts.client);
  }

  private get table(): string {
    return this.opts.tableName;
  }

  async createEndpoint(e: WebhookEndpointRecord): Promise<void> {
    const item: Item = { ...webhookKey(e.id), entityPk: webhooksEntity(e.supplierId), entitySk: `${e.createdAt}#${e.id}` };
    for (const f of ENDPOINT_FIELDS) item[f] = e[f];
    try {
      await this.db.send(new PutCommand({ TableName: this.table, Item: item, ConditionExpression: "attribute_not_exists(pk)" }));
    } catch (err) {
      if (awsErrorName(err) === "ConditionalCheckFailedException") throw new ApiError("conflict", `Webhook endpoint ${e.id} already exists.`);
      throw err;
    }
  }

  async getEndpoint(id: string): Promise<WebhookEndpointRecord | null> {
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: webhookKey(id), ConsistentRead: true }));
    return out.Item ? (pick(out.Item, ENDPOINT_FIELDS) as unknown as WebhookEndpointRecord) : null;
  }

  async listEndpoints(supplierId: string): Promise<WebhookEndpointRecord[]> {
    const keys = await this.listKeys(webhooksEntity(supplierId), "WEBHOOK#");
    const items = await Promise.all(keys.map((id) => this.getEndpoint(id)));
    return items.filter((e): e is WebhookEndpointRecord => e !== null);
  }

  async deleteEndpoint(id: string, supplierId: string): Promise<boolean> {
    try {
      await this.db.send(
        new DeleteCommand({ TableName: this.table, Key: webhookKey(id), ConditionExpression: "supplierId = :s", ExpressionAttributeValues: { ":s": supplierId } }),
      );
      return true;
    } catch (err) {
      if (awsErrorName(err) === "ConditionalCheckFailedException") return false;
      throw err;
    }
  }

  async createDelivery(d: WebhookDeliveryRecord): Promise<boolean> {
    const retentionDays = this.opts.deliveryRetentionDays ?? 30;
    const item: Item = {
      ...deliveryKey(d.id),
      entityPk: deliveriesEntity(d.endpointId),
      entitySk: `${d.createdAt}#${d.id}`,
      [TTL_ATTRIBUTE]: Math.floor(Date.parse(d.createdAt) / 1000) + retentionDays * 86_400,
    };
    for (const f of DELIVERY_FIELDS) if (d[f] !== null) item[f] = d[f];
    try {
      await this.db.send(new PutCommand({ TableName: this.table, Item: item, ConditionExpression: "attribute_not_exists(pk)" }));
      return true;
    } catch (err) {
      if (awsErrorName(err) === "ConditionalCheckFailedException") return false;
      throw err;
    }
  }

  async getDelivery(id: string): Promise<WebhookDeliveryRecord | null> {
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: deliveryKey(id), ConsistentRead: true }));
    return out.Item ? (pick(out.Item, DELIVERY_FIELDS) as unknown as WebhookDeliveryRecord) : null;
  }

  async recordAttempt(id: string, expectedAttempts: number, p: WebhookAttemptPatch): Promise<boolean> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ":expected": expectedAttempts };
    const sets: string[] = [];
    const removes: string[] = [];
    for (const [field, value] of Object.entries(p)) {
      names[`#${field}`] = field;
      if (value === null) removes.push(`#${field}`);
      else {
        values[`:${field}`] = value;
        sets.push(`#${field} = :${field}`);
      }
    }
    names["#attemptsNow"] = "attempts";
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: deliveryKey(id),
          UpdateExpression: `SET ${sets.join(", ")}${removes.length ? ` REMOVE ${removes.join(", ")}` : ""}`,
          ConditionExpression: "#attemptsNow = :expected",
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (err) {
      if (awsErrorName(err) === "ConditionalCheckFailedException") return false;
      throw err;
    }
  }

  async listDeliveries(endpointId: string, limit: number): Promise<WebhookDeliveryRecord[]> {
    const ids = await this.listKeys(deliveriesEntity(endpointId), "WHDELIVERY#", limit);
    const items = await Promise.all(ids.map((id) => this.getDelivery(id)));
    return items.filter((d): d is WebhookDeliveryRecord => d !== null);
  }

  /** Ids under one `byEntity` partition, newest first (the index holds keys; items are read by key). */
  private async listKeys(partition: string, pkPrefix: string, limit = Number.MAX_SAFE_INTEGER): Promise<string[]> {
    const ids: string[] = [];
    let startKey: Item | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: BY_ENTITY.name,
          KeyConditionExpression: "#p = :p",
          ExpressionAttributeNames: { "#p": BY_ENTITY.partitionKey },
          ExpressionAttributeValues: { ":p": partition },
          ScanIndexForward: false,
          ExclusiveStartKey: startKey,
          Limit: Math.min(100, limit - ids.length),
        }),
      );
      for (const item of out.Items ?? []) ids.push(String(item.pk).slice(pkPrefix.length));
      startKey = out.LastEvaluatedKey;
    } while (startKey && ids.length < limit);
    return ids;
  }
}

function pick(item: Item, fields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) out[f] = item[f] ?? null;
  return out;
}
