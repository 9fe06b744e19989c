import { UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { RateLimiter, RateLimitVerdict } from "@/lib/ports";
import { awsErrorName } from "./aws-errors";
import { resolveClient, type ClientSource } from "./clients";
import { rateWindowKey, TTL_ATTRIBUTE } from "./dynamo-schema";

export interface DynamoRateLimiterOptions {
  client: ClientSource<DynamoDBDocumentClient>;
  tableName: string;
  /** Requests allowed per key per window. */
  limit: number;
  windowSeconds: number;
}

/**
 * The request rate limit on DynamoDB, shared by every Lambda instance and web
 * process: one counter item per key and fixed window (`RATE#<key>`, sort key
 * the window's start), bumped by one UpdateItem with `ADD count 1` under the
 * condition `count < limit`. DynamoDB applies conditional writes to one item
 * one at a time, so of concurrent requests past the limit none gets through;
 * a refusal costs the same single write (ConditionalCheckFailed). The item
 * carries a TTL one window after its end, so old windows cost nothing; the
 * count never depends on TTL having run (a new window is a new item).
 *
 * Why a fixed window rather than a token bucket or a sliding window: one
 * round trip per request and no read-modify-write race; the price is that a
 * client can send up to 2x the limit across a window boundary, which is fine
 * for a limit that exists to stop runaway clients, not to meter.
 */
export class DynamoRateLimiter implements RateLimiter {
  constructor(private readonly opts: DynamoRateLimiterOptions) {
    if (!opts.tableName) throw new Error("DynamoRateLimiter: tableName is required");
    if (!(opts.limit >= 1) || !(opts.windowSeconds >= 1)) throw new Error("DynamoRateLimiter: limit and windowSeconds must be at least 1");
  }

  async take(key: string, now: Date = new Date()): Promise<RateLimitVerdict> {
    const { limit, windowSeconds } = this.opts;
    const nowSeconds = now.getTime() / 1000;
    const windowStart = Math.floor(nowSeconds / windowSeconds) * windowSeconds;
    try {
      const out = await resolveClient(this.opts.client).send(
        new UpdateCommand({
          TableName: this.opts.tableName,
          Key: rateWindowKey(key, windowStart),
          UpdateExpression: "ADD #count :one SET #ttl = if_not_exists(#ttl, :ttl)",
          ConditionExpression: "attribute_not_exists(#count) OR #count < :limit",
          ExpressionAttributeNames: { "#count": "count", "#ttl": TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ":one": 1, ":limit": limit, ":ttl": windowStart + 2 * windowSeconds },
          ReturnValues: "UPDATED_NEW",
        }),
      );
      const count = Number(out.Attributes?.count);
      return { allowed: true, retryAfterSeconds: 0, remaining: Math.max(0, limit - (Number.isFinite(count) ? count : limit)) };
    } catch (err) {
      if (awsErrorName(err) !== "ConditionalCheckFailedException") throw err;
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(windowStart + windowSeconds - nowSeconds)), remaining: 0 };
    }
  }
}
