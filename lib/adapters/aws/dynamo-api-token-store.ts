import { GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { ApiError } from "@/lib/core/errors";
import type { ApiTokenRecord, ApiTokenStore } from "@/lib/ports";
import { awsErrorName } from "./aws-errors";
import { LEGACY_TOKEN_SCOPES } from "@/lib/tokens/scopes";
import { apiTokenKey, apiTokensEntity, BY_ENTITY } from "./dynamo-schema";
import { DynamoTable, fromAttributes, toAttributes, type DynamoTableOptions } from "./dynamo-table";

export type DynamoApiTokenStoreOptions = DynamoTableOptions;

type Item = Record<string, unknown>;
const FIELDS = ["id", "prefix", "secretHash", "name", "userId", "supplierId", "createdAt", "lastUsedAt", "revokedAt", "scopes", "expiresAt"] as const;

/**
 * API tokens on DynamoDB, one `APITOKEN#<prefix>` item each (see
 * `dynamo-schema.ts`): the hot path, looking a token up by the prefix it
 * carries, is one strongly consistent GetItem. A supplier's tokens are listed
 * through the `byEntity` index.
 */
export class DynamoApiTokenStore extends DynamoTable implements ApiTokenStore {
  constructor(opts: DynamoApiTokenStoreOptions) {
    super(opts, "DynamoApiTokenStore");
  }

  async createToken(token: ApiTokenRecord): Promise<void> {
    const item: Item = { ...toAttributes(token, FIELDS), ...apiTokenKey(token.prefix), entityPk: apiTokensEntity(token.supplierId), entitySk: `${token.createdAt}#${token.id}` };
    try {
      await this.db.send(new PutCommand({ TableName: this.opts.tableName, Item: item, ConditionExpression: "attribute_not_exists(pk)" }));
    } catch (err) {
      if (awsErrorName(err) === "ConditionalCheckFailedException") throw new ApiError("conflict", `Token ${token.id} already exists.`);
      throw err;
    }
  }

  async getTokenByPrefix(prefix: string): Promise<ApiTokenRecord | null> {
    const out = await this.db.send(new GetCommand({ TableName: this.opts.tableName, Key: apiTokenKey(prefix), ConsistentRead: true }));
    return out.Item ? fromItem(out.Item) : null;
  }

  async listTokens(supplierId: string): Promise<ApiTokenRecord[]> {
    const items = await this.queryPartition(BY_ENTITY, apiTokensEntity(supplierId), { newestFirst: true });
    const prefixes = items.map((item) => String(item.pk).slice("APITOKEN#".length));
    const tokens = await Promise.all(prefixes.map((p) => this.getTokenByPrefix(p)));
    return tokens.filter((t): t is ApiTokenRecord => t !== null && t.supplierId === supplierId);
  }

  async revokeToken(id: string, supplierId: string, at: string): Promise<ApiTokenRecord | null> {
    const token = (await this.listTokens(supplierId)).find((t) => t.id === id);
    if (!token) return null;
    const out = await this.db.send(
      new UpdateCommand({
        TableName: this.opts.tableName,
        Key: apiTokenKey(token.prefix),
        // Keep the first revocation time.
        UpdateExpression: "SET revokedAt = if_not_exists(revokedAt, :at)",
        ConditionExpression: "supplierId = :s",
        ExpressionAttributeValues: { ":at": at, ":s": supplierId },
        ReturnValues: "ALL_NEW",
      }),
    );
    return out.Attributes ? fromItem(out.Attributes) : null;
  }

  async revokeUserTokens(supplierId: string, userId: string, at: string): Promise<number> {
    let revoked = 0;
    for (const t of await this.listTokens(supplierId)) {
      if (t.userId !== userId || t.revokedAt) continue;
      try {
        await this.db.send(
          new UpdateCommand({
            TableName: this.opts.tableName,
            Key: apiTokenKey(t.prefix),
            UpdateExpression: "SET revokedAt = :at",
            ConditionExpression: "attribute_not_exists(revokedAt)",
            ExpressionAttributeValues: { ":at": at },
          }),
        );
        revoked++;
      } catch (err) {
        if (awsErrorName(err) !== "ConditionalCheckFailedException") throw err; // revoked meanwhile
      }
    }
    return revoked;
  }

  async touchToken(prefix: string, at: string, staleBefore: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.opts.tableName,
          Key: apiTokenKey(prefix),
          UpdateExpression: "SET lastUsedAt = :at",
          ConditionExpression: "attribute_exists(pk) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt < :stale)",
          ExpressionAttributeValues: { ":at": at, ":stale": staleBefore },
        }),
      );
    } catch (err) {
      if (awsErrorName(err) !== "ConditionalCheckFailedException") throw err;
    }
  }
}

function fromItem(item: Item): ApiTokenRecord {
  const out = fromAttributes(item, FIELDS);
  // Items written before scopes existed keep the rights they had.
  if (!Array.isArray(out.scopes)) out.scopes = [...LEGACY_TOKEN_SCOPES];
  return out as unknown as ApiTokenRecord;
}
