/** The rate limiter contract on DynamoDB (dynalite); each instance has its own client, as each Lambda instance does. */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoRateLimiter } from "@/lib/adapters/aws/dynamo-rate-limiter";
import { rateWindowKey, TTL_ATTRIBUTE } from "@/lib/adapters/aws/dynamo-schema";
import { testRateLimiter } from "../../../contracts/rate-limiter.contract";
import { createJobsTable, FAKE_CREDENTIALS, REGION, startDynamo } from "../../../support/emulators";

let dynamo: Awaited<ReturnType<typeof startDynamo>>;
const clients: DynamoDBClient[] = [];

beforeAll(async () => {
  dynamo = await startDynamo();
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await dynamo.stop();
});

function client(): DynamoDBDocumentClient {
  const c = new DynamoDBClient({ region: REGION, endpoint: dynamo.endpoint, credentials: FAKE_CREDENTIALS });
  clients.push(c);
  return DynamoDBDocumentClient.from(c);
}

describe("DynamoRateLimiter", () => {
  testRateLimiter(async ({ limit, windowSeconds }) => {
    const table = await createJobsTable(dynamo.client);
    return { instance: () => new DynamoRateLimiter({ client: client(), tableName: table.name, limit, windowSeconds }), cleanup: table.drop };
  });

  it("writes one counter item per key and window, with a TTL one window after the window ends", async () => {
    const table = await createJobsTable(dynamo.client);
    const limiter = new DynamoRateLimiter({ client: client(), tableName: table.name, limit: 10, windowSeconds: 60 });
    const now = new Date("2026-03-02T10:00:30.000Z");
    await limiter.take("tok_ttl", now);
    await limiter.take("tok_ttl", now);
    const start = Date.parse("2026-03-02T10:00:00.000Z") / 1000;
    const item = (await dynamo.doc.send(new GetCommand({ TableName: table.name, Key: rateWindowKey("tok_ttl", start) }))).Item;
    expect(item).toMatchObject({ count: 2, [TTL_ATTRIBUTE]: start + 120 });
    await table.drop();
  });
});
