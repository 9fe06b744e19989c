/** DynamoWebhookStore: the WebhookStore contract (endpoints and deliveries) on DynamoDB (dynalite). */
import { describe } from "vitest";
import { DynamoWebhookStore } from "@/lib/adapters/aws/dynamo-webhook-store";
import { testWebhookStore } from "@/test/contracts/webhook-store.contract";
import { onTable, useDynamo } from "@/test/support/dynamo";

const dynamo = useDynamo();

describe("DynamoWebhookStore", () => testWebhookStore(onTable(dynamo, (tableName) => new DynamoWebhookStore({ client: () => dynamo().doc, tableName }))));
