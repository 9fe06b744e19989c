/** The ScheduleStore contract on DynamoDB (dynalite). */
import { afterAll, beforeAll, describe } from "vitest";
import { DynamoScheduleStore } from "@/lib/adapters/aws/dynamo-schedule-store";
import { testScheduleStore } from "../../../contracts/schedule-store.contract";
import { createJobsTable, startDynamo } from "@/test/support/emulators";

let dynamo: Awaited<ReturnType<typeof startDynamo>>;

beforeAll(async () => {
  dynamo = await startDynamo();
});
afterAll(async () => {
  await dynamo.stop();
});

describe("DynamoScheduleStore", () =>
  testScheduleStore(async () => {
    const table = await createJobsTable(dynamo.client);
    return { store: new DynamoScheduleStore({ client: () => dynamo.doc, tableName: table.name }), cleanup: table.drop };
  }));
