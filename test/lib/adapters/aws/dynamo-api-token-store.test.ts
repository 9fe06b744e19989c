/** The partner API's store contracts (tokens, request claims, webhooks) on DynamoDB (dynalite). */
import { afterAll, beforeAll, describe } from "vitest";
import { DynamoApiTokenStore } from "@/lib/adapters/aws/dynamo-api-token-store";
import { DynamoRequestClaimStore } from "@/lib/adapters/aws/dynamo-request-claim-store";
import { DynamoWebhookStore } from "@/lib/adapters/aws/dynamo-webhook-store";
import { testApiTokenStore } from "@/test/contracts/api-token-store.contract";
import { testRequestClaimStore } from "@/test/contracts/request-claim-store.contract";
import { testWebhookStore } from "@/test/contracts/webhook-store.contract";
import { createJobsTable, startDynamo } from "@/test/support/emulators";

let dynamo: Awaited<ReturnType<typeof startDynamo>>;

beforeAll(async () => {
  dynamo = await startDynamo();
});
afterAll(async () => {
  await dynamo.stop();
});

function onTable<T>(build: (tableName: string) => T) {
  return async () => {
    const table = await createJobsTable(dynamo.client);
    return { store: build(table.name), cleanup: table.drop };
  };
}

describe("DynamoApiTokenStore", () => testApiTokenStore(onTable((tableName) => new DynamoApiTokenStore({ client: () => dynamo.doc, tableName }))));
describe("DynamoRequestClaimStore", () => testRequestClaimStore(onTable((tableName) => new DynamoRequestClaimStore({ client: () => dynamo.doc, tableName }))));
describe("DynamoWebhookStore", () => testWebhookStore(onTable((tableName) => new DynamoWebhookStore({ client: () => dynamo.doc, tableName }))));
