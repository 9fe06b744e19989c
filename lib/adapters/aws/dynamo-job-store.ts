import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { ArchiveLease, ExportPatch, JobStore, TransitionCondition } from "@/lib/ports";
import { ApiError } from "@/lib/core/errors";
import { ZExportIdPattern } from "@/lib/core/ids";
import { decodeCursor, encodeCursor, IMMUTABLE_EXPORT_FIELDS, type ExportListQuery, type ExportRecord, type ExportStep, type Page } from "@/lib/exports/model";
import { DEFAULT_RECORD_RETENTION_DAYS, retentionChange, retentionOfRecord } from "../record-retention";
import { awsErrorName } from "./aws-errors";
import { resolveClient, type ClientSource } from "./clients";
import { BY_ENTITY, BY_STATUS_EXPIRY, BY_STATUS_UPDATED, BY_SUPPLIER, EXPORT_ATTRIBUTES, TTL_ATTRIBUTE } from "./dynamo-schema";

export interface DynamoJobStoreOptions {
  client: ClientSource<DynamoDBDocumentClient>;
  tableName: string;
  /**
   * How long a finished export's record is kept (after its archive's expiry,
   * else after it finished) before DynamoDB's TTL deletes it (see
   * `TTL_ATTRIBUTE` and lib/adapters/record-retention.ts). Default 90 days.
   */
  recordRetentionDays?: number;
}

type Item = Record<string, unknown>;

const IMMUTABLE = new Set<string>(IMMUTABLE_EXPORT_FIELDS);
const FIELDS = new Set<string>(EXPORT_ATTRIBUTES);
const ENTITY_EXPORT = "EXPORT";
/** ISO-8601 as `Date.toISOString()` writes it: the only createdAt a cursor may carry. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** Items read per Query when a filter may drop many of them. */
const FILTERED_PAGE = 100;

const exportKey = (id: string) => ({ pk: `EXPORT#${id}`, sk: "EXPORT" });
/** The archive lease: an item of its own beside the export (same partition, no index attributes). */
const leaseKey = (id: string) => ({ pk: `EXPORT#${id}`, sk: "ARCHIVE_LEASE" });
/** A lease nobody deleted (its export's worker died for good) is TTL'd this long after it expired. */
const LEASE_TTL_SECONDS = 7 * 86_400;
const supplierPk = (supplierId: string) => `SUPPLIER#${supplierId}`;
const createdKey = (createdAt: string, id: string) => `${createdAt}#${id}`;

/**
 * Job state on DynamoDB, in the portal's single table (see `dynamo-schema.ts`).
 *
 * - Every status change is one UpdateItem whose ConditionExpression tests the
 *   current status (`#status IN (...)`, plus `attribute_not_exists` for
 *   `unset` fields), so two workers or a duplicate delivery cannot both
 *   advance an export. The steps the change records are appended to the
 *   item's `steps` list by the same UpdateItem: atomic without transactions.
 * - A supplier's history and the admin list are Queries on the `bySupplier`
 *   and `byEntity` indexes, newest first (sort key `<createdAt>#<id>`), with
 *   from/to as key conditions and status/dataset as filters. The cursor is the
 *   last returned item's (createdAt, id), validated and turned back into an
 *   ExclusiveStartKey, so a forged cursor can only point inside the index.
 * - Index reads are eventually consistent on DynamoDB (a list may lag a write
 *   by a fraction of a second); reads by id are strongly consistent.
 * - TTL: every finished export (ready, expired, failed, cancelled) carries
 *   `expiresAtEpoch` = its archive's expiry, else its finish, plus the record
 *   retention (lib/adapters/record-retention.ts); ready -> expired keeps the
 *   instant, a retry back to queued removes it. The status change and its TTL
 *   are one UpdateItem. DynamoDB deletes such items some time after that
 *   instant (typically within days), so the code never relies on TTL for
 *   correctness: the expiry sweep is what marks exports expired and deletes
 *   archives; TTL only keeps the table from growing forever.
 * - The step history lives in the item, so an export can hold a few thousand
 *   steps before DynamoDB's 400 KB item limit; a normal run writes about ten.
 */
export class DynamoJobStore implements JobStore {
  private readonly source: ClientSource<DynamoDBDocumentClient>;
  private readonly table: string;
  private readonly retentionSeconds: number;

  constructor(opts: DynamoJobStoreOptions) {
    if (!opts.tableName) throw new Error("DynamoJobStore: tableName is required");
    const days = opts.recordRetentionDays ?? DEFAULT_RECORD_RETENTION_DAYS;
    if (!Number.isFinite(days) || days < 0) throw new RangeError("recordRetentionDays must be >= 0");
    this.source = opts.client;
    this.table = opts.tableName;
    this.retentionSeconds = Math.round(days * 86_400);
  }

  private get db(): DynamoDBDocumentClient {
    return resolveClient(this.source);
  }

  async createExport(record: ExportRecord, steps: ExportStep[]): Promise<void> {
    const item: Item = {
      ...exportKey(record.id),
      ...toAttributes(record),
      entityPk: ENTITY_EXPORT,
      entitySk: createdKey(record.createdAt, record.id),
      createdKey: createdKey(record.createdAt, record.id),
      ...(record.supplierId !== null ? { supplierPk: supplierPk(record.supplierId) } : {}),
      ...ttlAttribute(retentionOfRecord(record, this.retentionSeconds)),
      steps,
    };
    try {
      await this.db.send(new PutCommand({ TableName: this.table, Item: item, ConditionExpression: "attribute_not_exists(pk)" }));
    } catch (err) {
      if (awsErrorName(err) === "ConditionalCheckFailedException") throw new ApiError("conflict", `Export ${record.id} already exists.`);
      throw err;
    }
  }

  async getExport(id: string): Promise<ExportRecord | null> {
    const { names, projection } = recordProjection();
    const out = await this.db.send(
      new GetCommand({ TableName: this.table, Key: exportKey(id), ConsistentRead: true, ProjectionExpression: projection, ExpressionAttributeNames: names }),
    );
    return out.Item ? fromItem(out.Item) : null;
  }

  async transition(id: string, cond: TransitionCondition, patch: ExportPatch, steps: ExportStep[] = []): Promise<ExportRecord | null> {
    if (cond.status.length === 0) return null;
    const names: Record<string, string> = { "#status": "status" };
    const values: Record<string, unknown> = {};
    const sets: string[] = [];
    const removes: string[] = [];

    for (const [field, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      if (!FIELDS.has(field) || IMMUTABLE.has(field)) throw new Error(`transition: field ${field} cannot be patched`);
      const name = `#${field}`;
      names[name] = field;
      if (value === null) {
        removes.push(name);
      } else {
        values[`:${field}`] = toAttributeValue(field, value);
        sets.push(`${name} = :${field}`);
      }
    }
    const ttl = retentionChange(patch, this.retentionSeconds);
    if (ttl.kind !== "keep") names["#ttl"] = TTL_ATTRIBUTE;
    if (ttl.kind === "remove") removes.push("#ttl");
    if (ttl.kind === "set" || ttl.kind === "set-if-absent") {
      values[":ttl"] = ttl.at;
      sets.push(ttl.kind === "set" ? "#ttl = :ttl" : "#ttl = if_not_exists(#ttl, :ttl)");
    }
    if (steps.length > 0) {
      names["#steps"] = "steps";
      values[":steps"] = steps;
      values[":noSteps"] = [];
      sets.push("#steps = list_append(if_not_exists(#steps, :noSteps), :steps)");
    }
    // An empty patch still has to test the condition.
    if (sets.length === 0 && removes.length === 0) sets.push("#status = #status");

    const conditions = ["attribute_exists(pk)", `#status IN (${cond.status.map((_, i) => `:cond${i}`).join(", ")})`];
    cond.status.forEach((s, i) => (values[`:cond${i}`] = s));
    for (const field of cond.unset ?? []) {
      const name = `#u_${field}`;
      names[name] = field;
      values[":null"] = null;
      // Absent is how this store writes null; an explicit NULL counts as unset too.
      conditions.push(`(attribute_not_exists(${name}) OR ${name} = :null)`);
    }

    const update = [sets.length ? `SET ${sets.join(", ")}` : "", removes.length ? `REMOVE ${removes.join(", ")}` : ""].filter(Boolean).join(" ");
    try {
      const out = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: exportKey(id),
          UpdateExpression: update,
          ConditionExpression: conditions.join(" AND "),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: Object.keys(values).length ? values : undefined,
          ReturnValues: "ALL_NEW",
        }),
      );
      return out.Attributes ? fromItem(out.Attributes) : null;
    } catch (err) {
      if (awsErrorName(err) === "ConditionalCheckFailedException") return null;
      throw err;
    }
  }

  async appendSteps(id: string, steps: ExportStep[]): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: exportKey(id),
          UpdateExpression: "SET #steps = list_append(if_not_exists(#steps, :noSteps), :steps)",
          ConditionExpression: "attribute_exists(pk)",
          ExpressionAttributeNames: { "#steps": "steps" },
          ExpressionAttributeValues: { ":steps": steps, ":noSteps": [] },
        }),
      );
    } catch (err) {
      // Steps of an unknown export would be an orphaned history nobody can see.
      if (awsErrorName(err) === "ConditionalCheckFailedException") throw new ApiError("not_found", `Export ${id} does not exist.`);
      throw err;
    }
  }

  async listSteps(id: string): Promise<ExportStep[]> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.table, Key: exportKey(id), ConsistentRead: true, ProjectionExpression: "#steps", ExpressionAttributeNames: { "#steps": "steps" } }),
    );
    const steps = out.Item?.steps;
    return Array.isArray(steps) ? (steps as ExportStep[]) : [];
  }

  async listExports(query: ExportListQuery): Promise<Page<ExportRecord>> {
    const { limit } = query;
    if (!Number.isInteger(limit) || limit < 1) throw new ApiError("bad_request", "limit must be a positive integer.");

    const index = query.supplierId !== undefined ? BY_SUPPLIER : BY_ENTITY;
    const partition = query.supplierId !== undefined ? supplierPk(query.supplierId) : ENTITY_EXPORT;
    const names: Record<string, string> = { "#p": index.partitionKey };
    const values: Record<string, unknown> = { ":p": partition };
    if (query.from !== undefined || query.to !== undefined) names["#s"] = index.sortKey;
    // `<createdAt>#<id>` sorts like (createdAt, id): `>= from` keeps createdAt >= from, and
    // `<= to` keeps createdAt < to, because `<to>#<id>` sorts after `<to>` itself.
    let keyCondition = "#p = :p";
    if (query.from !== undefined && query.to !== undefined) {
      keyCondition += " AND #s BETWEEN :from AND :to";
      values[":from"] = query.from;
      values[":to"] = query.to;
    } else if (query.from !== undefined) {
      keyCondition += " AND #s >= :from";
      values[":from"] = query.from;
    } else if (query.to !== undefined) {
      keyCondition += " AND #s < :to";
      values[":to"] = query.to;
    }
    const filters: string[] = [];
    if (query.status !== undefined) {
      names["#status"] = "status";
      values[":status"] = query.status;
      filters.push("#status = :status");
    }
    if (query.requesterEmail !== undefined) {
      // DynamoDB compares case-sensitively: records keep the address as the session had it, which sign-in lower-cases.
      names["#requesterEmail"] = "requesterEmail";
      values[":requesterEmail"] = query.requesterEmail.toLowerCase();
      filters.push("#requesterEmail = :requesterEmail");
    }
    if (query.dataset !== undefined) {
      names["#dataset"] = "dataset";
      values[":dataset"] = query.dataset;
      filters.push("#dataset = :dataset");
    }

    let startKey: Item | undefined;
    if (query.cursor !== undefined) {
      const after = decodeCursor(query.cursor);
      if (!after || !ISO_INSTANT.test(after.createdAt) || !ZExportIdPattern.test(after.id)) {
        throw new ApiError("bad_request", "The cursor is malformed; start again from the first page.");
      }
      startKey = { ...exportKey(after.id), [index.partitionKey]: partition, [index.sortKey]: createdKey(after.createdAt, after.id) };
    }

    // One item past the page tells whether there is a next page; filters may need several reads.
    const items: ExportRecord[] = [];
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: index.name,
          KeyConditionExpression: keyCondition,
          FilterExpression: filters.length ? filters.join(" AND ") : undefined,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          ExclusiveStartKey: startKey,
          Limit: filters.length ? Math.max(FILTERED_PAGE, limit + 1) : limit + 1 - items.length,
        }),
      );
      for (const item of out.Items ?? []) items.push(fromItem(item));
      startKey = out.LastEvaluatedKey;
    } while (items.length <= limit && startKey);

    const page = items.slice(0, limit);
    const last = page[page.length - 1];
    return { items: page, nextCursor: items.length > limit && last ? encodeCursor(last) : null };
  }

  async listQueuedBefore(before: string, limit: number): Promise<ExportRecord[]> {
    return this.listStatusBefore(BY_STATUS_UPDATED.name, "queued", "updatedAt", before, limit);
  }

  async listExpiredReady(now: string, limit: number): Promise<ExportRecord[]> {
    return this.listStatusBefore(BY_STATUS_EXPIRY.name, "ready", "expiresAt", now, limit);
  }

  /** Up to `limit` records of `status` whose `attribute` is before `bound`, oldest first, from a (status, attribute) index. */
  private async listStatusBefore(index: string, status: ExportRecord["status"], attribute: string, bound: string, limit: number): Promise<ExportRecord[]> {
    if (!Number.isInteger(limit) || limit < 1) return [];
    const out: ExportRecord[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: index,
          KeyConditionExpression: "#status = :status AND #attribute < :bound",
          ExpressionAttributeNames: { "#status": "status", "#attribute": attribute },
          ExpressionAttributeValues: { ":status": status, ":bound": bound },
          ScanIndexForward: true,
          ExclusiveStartKey: startKey,
          Limit: limit - out.length,
        }),
      );
      for (const item of page.Items ?? []) out.push(fromItem(item));
      startKey = page.LastEvaluatedKey;
    } while (out.length < limit && startKey);
    return out.slice(0, limit);
  }

  /**
   * Counts on the supplier's index with a status filter. It reads the
   * supplier's whole history (keys and status only, COUNT), which stays small
   * because TTL removes old records; strongly consistent it is not (an index),
   * so a limit built on it is a soft one.
   */
  async countActive(supplierId: string): Promise<number> {
    let count = 0;
    let startKey: Item | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: BY_SUPPLIER.name,
          KeyConditionExpression: "#p = :p",
          FilterExpression: "#status IN (:queued, :running, :archiving)",
          ExpressionAttributeNames: { "#p": BY_SUPPLIER.partitionKey, "#status": "status" },
          ExpressionAttributeValues: { ":p": supplierPk(supplierId), ":queued": "queued", ":running": "running", ":archiving": "archiving" },
          Select: "COUNT",
          ExclusiveStartKey: startKey,
        }),
      );
      count += out.Count ?? 0;
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return count;
  }

  async putArchiveLease(lease: ArchiveLease, now: string): Promise<boolean> {
    const item: Item = {
      ...leaseKey(lease.exportId),
      ...lease,
      uploadId: lease.uploadId ?? null,
      checkpoint: lease.checkpoint ?? null,
      [TTL_ATTRIBUTE]: Math.floor(Date.parse(lease.expiresAt) / 1000) + LEASE_TTL_SECONDS,
    };
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          // ISO instants of one format compare as strings.
          ConditionExpression: "attribute_not_exists(pk) OR #owner = :owner OR #expiresAt <= :now",
          ExpressionAttributeNames: { "#owner": "owner", "#expiresAt": "expiresAt" },
          ExpressionAttributeValues: { ":owner": lease.owner, ":now": now },
        }),
      );
      return true;
    } catch (err) {
      if (awsErrorName(err) === "ConditionalCheckFailedException") return false;
      throw err;
    }
  }

  async getArchiveLease(exportId: string): Promise<ArchiveLease | null> {
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: leaseKey(exportId), ConsistentRead: true }));
    if (!out.Item) return null;
    const i = out.Item;
    return {
      exportId: String(i.exportId),
      owner: String(i.owner),
      expiresAt: String(i.expiresAt),
      bytesDone: Number(i.bytesDone),
      bytesTotal: Number(i.bytesTotal),
      updatedAt: String(i.updatedAt),
      uploadId: typeof i.uploadId === "string" ? i.uploadId : null,
      checkpoint: typeof i.checkpoint === "string" ? i.checkpoint : null,
    };
  }

  async deleteArchiveLease(exportId: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: leaseKey(exportId) }));
  }
}

function ttlAttribute(at: number | null): Item {
  return at === null ? {} : { [TTL_ATTRIBUTE]: at };
}

/** The projection of every record field (the step history is read only by `listSteps`). */
function recordProjection(): { names: Record<string, string>; projection: string } {
  const names: Record<string, string> = {};
  for (const f of EXPORT_ATTRIBUTES) names[`#${f}`] = f;
  return { names, projection: Object.keys(names).join(", ") };
}

/** `params` is stored as JSON text: it round-trips exactly, whatever the dataset's filters hold. */
function toAttributeValue(field: string, value: unknown): unknown {
  return field === "params" ? JSON.stringify(value) : value;
}

/** The record's non-null fields as attributes; null fields are left out (absent = null). */
function toAttributes(record: ExportRecord): Item {
  const item: Item = {};
  for (const field of EXPORT_ATTRIBUTES) {
    const value = record[field];
    if (value !== null && value !== undefined) item[field] = toAttributeValue(field, value);
  }
  return item;
}

function fromItem(item: Item): ExportRecord {
  const out: Record<string, unknown> = {};
  for (const field of EXPORT_ATTRIBUTES) {
    const value = item[field];
    if (value === undefined || value === null) out[field] = null;
    else if (field === "params") out[field] = JSON.parse(String(value)) as unknown;
    else out[field] = value;
  }
  return out as unknown as ExportRecord;
}
