/** DynamoApiTokenStore: the ApiTokenStore contract on DynamoDB (dynalite). */
import { describe } from "vitest";
import { DynamoApiTokenStore } from "@/lib/adapters/aws/dynamo-api-token-store";
import { testApiTokenStore } from "@/test/contracts/api-token-store.contract";
import { onTable, useDynamo } from "@/test/support/dynamo";

const dynamo = useDynamo();

describe("DynamoApiTokenStore", () => testApiTokenStore(onTable(dynamo, (tableName) => new DynamoApiTokenStore({ client: () => dynamo().doc, tableName }))));
