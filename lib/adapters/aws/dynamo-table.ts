import { QueryCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { resolveClient, type ClientSource } from "./clients";

/** What a DynamoDB store is built with: the client (or how to build it on first use) and the portal's one table. */
export interface DynamoTableOptions {
  client: ClientSource<DynamoDBDocumentClient>;
  tableName: string;
}

/**
 * The part the DynamoDB stores share: an empty table name is refused at
 * construction (a misconfigured deployment fails at start, not on its first
 * request), and the client is resolved on use, so it is built lazily.
 */
export abstract class DynamoTable<O extends DynamoTableOptions = DynamoTableOptions> {
  /** `store` names the store in the error (class names do not survive bundling). */
  protected constructor(
    protected readonly opts: O,
    store: string,
  ) {
    if (!opts.tableName) throw new Error(`${store}: tableName is required`);
  }

  protected get db(): DynamoDBDocumentClient {
    return resolveClient(this.opts.client);
  }

  /** Every item of one partition of an index (all its pages), in sort-key order or, with `newestFirst`, reversed. */
  protected async queryPartition(index: { name: string; partitionKey: string }, partition: string, { newestFirst = false } = {}): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.opts.tableName,
          IndexName: index.name,
          KeyConditionExpression: "#p = :p",
          ExpressionAttributeNames: { "#p": index.partitionKey },
          ExpressionAttributeValues: { ":p": partition },
          ScanIndexForward: !newestFirst,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return items;
  }
}

/** A record's fields as item attributes; null ones are left out, so the sparse indexes hold only the items they are about. */
export function toAttributes<T extends object>(record: T, fields: readonly (keyof T & string)[]): Record<string, unknown> {
  const item: Record<string, unknown> = {};
  for (const f of fields) if (record[f] !== null && record[f] !== undefined) item[f] = record[f];
  return item;
}

/** An item's attributes as the record's fields; absent ones are null. */
export function fromAttributes(item: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) out[f] = item[f] ?? null;
  return out;
}
