/**
 * DynamoJobStore: the JobStore contract on DynamoDB (dynalite), plus what the
 * contract cannot see: the item layout the indexes and TTL depend on, and
 * refusal of cursors that would point outside the queried index.
 */
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoJobStore } from "@/lib/adapters/aws/dynamo-job-store";
import { TTL_ATTRIBUTE } from "@/lib/adapters/aws/dynamo-schema";
import { ApiError } from "@/lib/core/errors";
import { newId } from "@/lib/core/ids";
import { encodeCursor, newExportRecord, type ExportRecord } from "@/lib/exports/model";
import { testJobStore } from "@/test/contracts/job-store.contract";
import { createJobsTable, startDynamo } from "@/test/support/emulators";

let dynamo: Awaited<ReturnType<typeof startDynamo>>;

beforeAll(async () => {
  dynamo = await startDynamo();
});
afterAll(async () => {
  await dynamo.stop();
});

describe("DynamoJobStore", () => {
  testJobStore(async () => {
    const table = await createJobsTable(dynamo.client);
    return { store: new DynamoJobStore({ client: dynamo.doc, tableName: table.name }), cleanup: table.drop };
  });
});

function record(overrides: Partial<ExportRecord> = {}): ExportRecord {
  const createdAt = overrides.createdAt ?? "2025-03-01T10:00:00.000Z";
  return newExportRecord(
    {
      id: newId("exp", Date.parse(createdAt)),
      supplierId: "sup_a",
      requestedBy: "usr_1",
      requesterEmail: "buyer@example.com",
      dataset: "product_inventory",
      params: { skus: ["A1", "B2"], lowStockOnly: true, big: 2 ** 40, text: "Rosé ' \" $$ -- ;" },
      format: "csv",
      bom: false,
      notify: true,
      createdAt,
    },
    { status: "archiving", startedAt: createdAt, attempts: 1, statementId: "st-1", rowCount: 10, fileCount: 1, ...overrides },
  );
}

describe("DynamoJobStore item layout", () => {
  let table: { name: string; drop(): Promise<void> };
  let store: DynamoJobStore;

  beforeAll(async () => {
    table = await createJobsTable(dynamo.client);
    store = new DynamoJobStore({ client: dynamo.doc, tableName: table.name, recordRetentionDays: 30 });
  });
  afterAll(async () => {
    await table.drop();
  });

  const rawItem = async (id: string) =>
    (await dynamo.doc.send(new GetCommand({ TableName: table.name, Key: { pk: `EXPORT#${id}`, sk: "EXPORT" }, ConsistentRead: true }))).Item!;

  it("stores nulls as absent attributes, so the sparse indexes skip them", async () => {
    const r = record({ supplierId: null });
    await store.createExport(r, []);
    const item = await rawItem(r.id);
    expect(item).not.toHaveProperty("supplierPk");
    expect(item).not.toHaveProperty("expiresAt");
    expect(item).not.toHaveProperty("finishedAt");
    expect(item.entityPk).toBe("EXPORT");
    expect(item.createdKey).toBe(`${r.createdAt}#${r.id}`);
    expect(await store.getExport(r.id)).toEqual(r);
  });

  it("sets the TTL attribute with expiresAt (plus retention), and a finished record keeps one", async () => {
    const r = record();
    await store.createExport(r, []);
    const expiresAt = "2025-03-08T10:00:00.000Z";
    await store.transition(r.id, { status: ["archiving"] }, { status: "ready", expiresAt });
    expect((await rawItem(r.id))[TTL_ATTRIBUTE]).toBe(Date.parse(expiresAt) / 1000 + 30 * 86_400);
    // ready -> expired leaves expiresAt, so the TTL stays and the record goes 30 days after expiry.
    await store.transition(r.id, { status: ["ready"] }, { status: "expired" });
    expect((await rawItem(r.id))[TTL_ATTRIBUTE]).toBe(Date.parse(expiresAt) / 1000 + 30 * 86_400);
    await store.transition(r.id, { status: ["expired"] }, { expiresAt: null });
    const item = await rawItem(r.id);
    expect(item[TTL_ATTRIBUTE]).toBe(Date.parse(expiresAt) / 1000 + 30 * 86_400);
    expect(item).not.toHaveProperty("expiresAt");
  });

  it("writes a status and its steps in one conditional update: a lost race writes neither", async () => {
    const r = record({ status: "running" });
    await store.createExport(r, [{ at: r.createdAt, step: "requested", detail: {} }]);
    const steps = (n: number) => [{ at: `2025-03-01T10:00:0${n}.000Z`, step: "query_finished" as const, detail: { rows: n } }];
    const results = await Promise.all(
      [1, 2, 3, 4, 5].map((n) => store.transition(r.id, { status: ["running"] }, { status: "archiving", rowCount: n }, steps(n))),
    );
    const winners = results.filter((x) => x !== null);
    expect(winners).toHaveLength(1);
    const history = await store.listSteps(r.id);
    expect(history).toHaveLength(2);
    expect(history[1]!.detail.rows).toBe(winners[0]!.rowCount);
  });

  it("refuses to patch fields fixed at creation", async () => {
    const r = record();
    await store.createExport(r, []);
    await expect(store.transition(r.id, { status: ["archiving"] }, { supplierId: "sup_b" } as never)).rejects.toThrow(/cannot be patched/);
    await expect(store.transition(r.id, { status: ["archiving"] }, { pk: "USER#x" } as never)).rejects.toThrow(/cannot be patched/);
    expect(await store.getExport(r.id)).toEqual(r);
  });

  it("appendSteps on an unknown export is a not_found, not a new item", async () => {
    const id = newId("exp");
    const err = await store.appendSteps(id, [{ at: "2025-01-01T00:00:00.000Z", step: "retrying", detail: {} }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe("not_found");
    expect(await store.getExport(id)).toBeNull();
  });

  it("refuses cursors that are well-formed JSON but not an export's position", async () => {
    const forged = [
      encodeCursor({ createdAt: "2025-03-01T10:00:00.000Z", id: "USER#usr_1" }),
      encodeCursor({ createdAt: "yesterday", id: newId("exp") }),
      Buffer.from(JSON.stringify(["2025-03-01T10:00:00.000Z", "exp_x", "extra"])).toString("base64url"),
    ];
    for (const cursor of forged) {
      const err = await store.listExports({ limit: 5, cursor }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).code).toBe("bad_request");
    }
  });

  it("fills a filtered page by reading on past items the filter drops", async () => {
    const t = await createJobsTable(dynamo.client);
    const s = new DynamoJobStore({ client: dynamo.doc, tableName: t.name });
    // 150 non-matching exports newer than the 3 matching ones: more than one filtered read.
    const iso = (i: number) => new Date(Date.parse("2025-01-01T00:00:00.000Z") + i * 1000).toISOString();
    const matching: ExportRecord[] = [];
    for (let i = 0; i < 3; i++) {
      const r = record({ createdAt: iso(i), dataset: "customer_reviews" });
      matching.push(r);
      await s.createExport(r, []);
    }
    for (let i = 3; i < 153; i++) await s.createExport(record({ createdAt: iso(i) }), []);
    const page = await s.listExports({ limit: 2, dataset: "customer_reviews" });
    expect(page.items.map((x) => x.id)).toEqual([matching[2]!.id, matching[1]!.id]);
    const next = await s.listExports({ limit: 2, dataset: "customer_reviews", cursor: page.nextCursor! });
    expect(next.items.map((x) => x.id)).toEqual([matching[0]!.id]);
    expect(next.nextCursor).toBeNull();
    await t.drop();
  });
});
