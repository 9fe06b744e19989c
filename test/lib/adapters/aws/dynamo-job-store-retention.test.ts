/** Record retention on DynamoDB (dynalite): the TTL attribute of every finished export, whatever its status. */
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe } from "vitest";
import { DynamoJobStore } from "@/lib/adapters/aws/dynamo-job-store";
import { TTL_ATTRIBUTE } from "@/lib/adapters/aws/dynamo-schema";
import { testRecordRetention } from "../../../contracts/record-retention.contract";
import { createJobsTable, startDynamo } from "../../../support/emulators";

let dynamo: Awaited<ReturnType<typeof startDynamo>>;

beforeAll(async () => {
  dynamo = await startDynamo();
});
afterAll(async () => {
  await dynamo.stop();
});

describe("DynamoJobStore", () =>
  testRecordRetention(async (recordRetentionDays) => {
    const table = await createJobsTable(dynamo.client);
    return {
      store: new DynamoJobStore({ client: dynamo.doc, tableName: table.name, recordRetentionDays }),
      instantOf: async (id) => {
        const item = (await dynamo.doc.send(new GetCommand({ TableName: table.name, Key: { pk: `EXPORT#${id}`, sk: "EXPORT" }, ConsistentRead: true }))).Item;
        return (item?.[TTL_ATTRIBUTE] as number | undefined) ?? null;
      },
      cleanup: table.drop,
    };
  }));
