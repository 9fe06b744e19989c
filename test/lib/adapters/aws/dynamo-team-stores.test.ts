/** The supplier and audit-log stores on DynamoDB (dynalite): the same contracts as SQLite, plus the audit TTL. */
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoAuditStore } from "@/lib/adapters/aws/dynamo-audit-store";
import { DynamoSupplierStore } from "@/lib/adapters/aws/dynamo-supplier-store";
import { auditKey, TTL_ATTRIBUTE } from "@/lib/adapters/aws/dynamo-schema";
import { testAuditStore } from "@/test/contracts/audit-store.contract";
import { testSupplierStore } from "@/test/contracts/supplier-store.contract";
import { createJobsTable, startDynamo } from "@/test/support/emulators";

let dynamo: Awaited<ReturnType<typeof startDynamo>>;
beforeAll(async () => {
  dynamo = await startDynamo();
});
afterAll(async () => {
  await dynamo?.stop();
});

function onTable<T>(build: (tableName: string) => T) {
  return async () => {
    const table = await createJobsTable(dynamo.client);
    return { store: build(table.name), cleanup: table.drop };
  };
}

describe("DynamoSupplierStore", () => testSupplierStore(onTable((tableName) => new DynamoSupplierStore({ client: () => dynamo.doc, tableName }))));
describe("DynamoAuditStore", () => {
  testAuditStore(onTable((tableName) => new DynamoAuditStore({ client: () => dynamo.doc, tableName, retentionDays: 30 })));

  it("sets the table's TTL attribute to the entry's time plus the retention", async () => {
    const table = await createJobsTable(dynamo.client);
    try {
      const store = new DynamoAuditStore({ client: () => dynamo.doc, tableName: table.name, retentionDays: 30 });
      const at = "2026-01-01T00:00:00.000Z";
      await store.append({ id: "aud_ttl", at, action: "signin", actorId: null, actorEmail: null, via: "session", supplierId: null, target: null, ip: null, userAgent: null, detail: null });
      const out = await dynamo.doc.send(new GetCommand({ TableName: table.name, Key: auditKey("aud_ttl") }));
      expect(out.Item?.[TTL_ATTRIBUTE]).toBe(Date.parse(at) / 1000 + 30 * 86_400);
    } finally {
      await table.drop();
    }
  });
});
