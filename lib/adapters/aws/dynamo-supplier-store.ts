import { GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { ApiError } from "@/lib/core/errors";
import type { SupplierRecord, SupplierStore } from "@/lib/ports";
import { awsErrorName } from "./aws-errors";
import { BY_ENTITY, supplierKey, SUPPLIERS_ENTITY } from "./dynamo-schema";
import { DynamoTable, type DynamoTableOptions } from "./dynamo-table";

export type DynamoSupplierStoreOptions = DynamoTableOptions;

type Item = Record<string, unknown>;

/** Suppliers on DynamoDB, one `SUPPLIER#<id>` item each, listed through `byEntity` (see `dynamo-schema.ts`). */
export class DynamoSupplierStore extends DynamoTable implements SupplierStore {
  constructor(opts: DynamoSupplierStoreOptions) {
    super(opts, "DynamoSupplierStore");
  }

  async createSupplier(s: SupplierRecord): Promise<void> {
    const item: Item = { ...supplierKey(s.id), entityPk: SUPPLIERS_ENTITY, entitySk: s.id, id: s.id, name: s.name, createdAt: s.createdAt };
    if (s.disabledAt) item.disabledAt = s.disabledAt;
    try {
      await this.db.send(new PutCommand({ TableName: this.opts.tableName, Item: item, ConditionExpression: "attribute_not_exists(pk)" }));
    } catch (err) {
      if (awsErrorName(err) === "ConditionalCheckFailedException") throw new ApiError("conflict", `A supplier with the id ${s.id} already exists.`);
      throw err;
    }
  }

  async getSupplier(id: string): Promise<SupplierRecord | null> {
    const out = await this.db.send(new GetCommand({ TableName: this.opts.tableName, Key: supplierKey(id), ConsistentRead: true }));
    return out.Item ? fromItem(out.Item) : null;
  }

  async listSuppliers(): Promise<SupplierRecord[]> {
    const ids = (await this.queryPartition(BY_ENTITY, SUPPLIERS_ENTITY)).map((item) => String(item.entitySk));
    // The index projects no supplier fields: read the items (strongly consistent; the list is short).
    const all = await Promise.all(ids.map((id) => this.getSupplier(id)));
    return all.filter((s): s is SupplierRecord => s !== null);
  }

  async updateSupplier(s: SupplierRecord): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.opts.tableName,
          Key: supplierKey(s.id),
          UpdateExpression: s.disabledAt ? "SET #name = :name, disabledAt = :d" : "SET #name = :name REMOVE disabledAt",
          ConditionExpression: "attribute_exists(pk)",
          ExpressionAttributeNames: { "#name": "name" },
          ExpressionAttributeValues: s.disabledAt ? { ":name": s.name, ":d": s.disabledAt } : { ":name": s.name },
        }),
      );
    } catch (err) {
      if (awsErrorName(err) === "ConditionalCheckFailedException") throw new ApiError("not_found", `Supplier ${s.id} does not exist.`);
      throw err;
    }
  }
}

function fromItem(item: Item): SupplierRecord {
  return { id: String(item.id), name: String(item.name), createdAt: String(item.createdAt), disabledAt: typeof item.disabledAt === "string" ? item.disabledAt : null };
}
