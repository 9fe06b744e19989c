import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { RequestClaim, RequestClaimStore } from "@/lib/ports";
import { awsErrorName } from "./aws-errors";
import { resolveClient, type ClientSource } from "./clients";
import { requestClaimKey, TTL_ATTRIBUTE } from "./dynamo-schema";

export interface DynamoRequestClaimStoreOptions {
  client: ClientSource<DynamoDBDocumentClient>;
  tableName: string;
}

/**
 * Idempotency keys and active-request fingerprints on DynamoDB: one
 * `CLAIM#<key>` item each, written with a conditional put (absent, or
 * expired), so of concurrent claims exactly one wins. The item carries the TTL
 * attribute; DynamoDB deletes it some time after expiry, and until then the
 * condition treats it as absent, so correctness never waits on TTL.
 */
export class DynamoRequestClaimStore implements RequestClaimStore {
  constructor(private readonly opts: DynamoRequestClaimStoreOptions) {
    if (!opts.tableName) throw new Error("DynamoRequestClaimStore: tableName is required");
  }

  private get db(): DynamoDBDocumentClient {
    return resolveClient(this.opts.client);
  }

  async claim(claim: RequestClaim, now: string): Promise<RequestClaim | null> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.opts.tableName,
          Item: toItem(claim),
          ConditionExpression: "attribute_not_exists(pk) OR expiresAt <= :now",
          ExpressionAttributeValues: { ":now": now },
        }),
      );
      return null;
    } catch (err) {
      if (awsErrorName(err) !== "ConditionalCheckFailedException") throw err;
    }
    const out = await this.db.send(new GetCommand({ TableName: this.opts.tableName, Key: requestClaimKey(claim.key), ConsistentRead: true }));
    // Released between our put and our read: try once more.
    if (!out.Item) return this.claim(claim, now);
    return fromItem(out.Item);
  }

  async replace(claim: RequestClaim, expectedExportId: string): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.opts.tableName,
          Item: toItem(claim),
          ConditionExpression: "exportId = :expected",
          ExpressionAttributeValues: { ":expected": expectedExportId },
        }),
      );
      return true;
    } catch (err) {
      if (awsErrorName(err) === "ConditionalCheckFailedException") return false;
      throw err;
    }
  }

  async release(key: string, exportId: string): Promise<void> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.opts.tableName,
          Key: requestClaimKey(key),
          ConditionExpression: "exportId = :e",
          ExpressionAttributeValues: { ":e": exportId },
        }),
      );
    } catch (err) {
      if (awsErrorName(err) !== "ConditionalCheckFailedException") throw err;
    }
  }
}

function toItem(c: RequestClaim): Record<string, unknown> {
  return {
    ...requestClaimKey(c.key),
    key: c.key,
    exportId: c.exportId,
    requestHash: c.requestHash,
    createdAt: c.createdAt,
    expiresAt: c.expiresAt,
    [TTL_ATTRIBUTE]: Math.ceil(Date.parse(c.expiresAt) / 1000),
  };
}

function fromItem(item: Record<string, unknown>): RequestClaim {
  return {
    key: String(item.key),
    exportId: String(item.exportId),
    requestHash: String(item.requestHash),
    createdAt: String(item.createdAt),
    expiresAt: String(item.expiresAt),
  };
}
