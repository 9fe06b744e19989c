/** DynamoRequestClaimStore: the RequestClaimStore contract (Idempotency-Key claims) on DynamoDB (dynalite). */
import { describe } from "vitest";
import { DynamoRequestClaimStore } from "@/lib/adapters/aws/dynamo-request-claim-store";
import { testRequestClaimStore } from "@/test/contracts/request-claim-store.contract";
import { onTable, useDynamo } from "@/test/support/dynamo";

const dynamo = useDynamo();

describe("DynamoRequestClaimStore", () => testRequestClaimStore(onTable(dynamo, (tableName) => new DynamoRequestClaimStore({ client: () => dynamo().doc, tableName }))));
