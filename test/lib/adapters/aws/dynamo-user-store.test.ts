/**
 * DynamoUserStore: the UserStore contract on DynamoDB (dynalite), plus the
 * email claim a create that died half-way leaves behind.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoUserStore } from "@/lib/adapters/aws/dynamo-user-store";
import { ApiError } from "@/lib/core/errors";
import { newId } from "@/lib/core/ids";
import { testUserStore } from "@/test/contracts/user-store.contract";
import { createJobsTable, startDynamo } from "@/test/support/emulators";

let dynamo: Awaited<ReturnType<typeof startDynamo>>;

beforeAll(async () => {
  dynamo = await startDynamo();
});
afterAll(async () => {
  await dynamo.stop();
});

describe("DynamoUserStore", () => {
  testUserStore(async () => {
    const table = await createJobsTable(dynamo.client);
    return { store: new DynamoUserStore({ client: dynamo.doc, tableName: table.name }), cleanup: table.drop };
  });
});

describe("DynamoUserStore email claims", () => {
  it("takes over the claim of a create that died before writing its user, once it is stale", async () => {
    const table = await createJobsTable(dynamo.client);
    const store = new DynamoUserStore({ client: dynamo.doc, tableName: table.name, orphanClaimAfterMs: 0 });
    const user = {
      id: newId("usr"),
      email: "orphan@suppliers.test",
      name: "Orphan",
      role: "supplier" as const,
      supplierId: "sup_rose",
      supplierName: "Rose Supply Co",
      passwordHash: "scrypt$1$1$1$x$y",
      createdAt: "2025-03-01T10:00:00.000Z",
      membership: "owner" as const,
      sessionVersion: 1,
      disabledAt: null,
    };
    // What a process that died between the two writes leaves behind: a claim and no user.
    const { PutCommand } = await import("@aws-sdk/lib-dynamodb");
    await dynamo.doc.send(
      new PutCommand({ TableName: table.name, Item: { pk: "EMAIL#orphan@suppliers.test", sk: "EMAIL", userId: newId("usr"), token: "dead", claimedAt: 0 } }),
    );
    expect(await store.getUserByEmail(user.email)).toBeNull();
    await store.createUser(user);
    expect(await store.getUserByEmail(user.email)).toEqual(user);

    // A fresh claim (not stale) is respected even without its user item.
    const strict = new DynamoUserStore({ client: dynamo.doc, tableName: table.name, orphanClaimAfterMs: 60_000 });
    await dynamo.doc.send(
      new PutCommand({ TableName: table.name, Item: { pk: "EMAIL#busy@suppliers.test", sk: "EMAIL", userId: newId("usr"), token: "live", claimedAt: Date.now() } }),
    );
    const err = await strict.createUser({ ...user, id: newId("usr"), email: "busy@suppliers.test" }).catch((e: unknown) => e);
    expect((err as ApiError).code).toBe("conflict");
    await table.drop();
  });
});
