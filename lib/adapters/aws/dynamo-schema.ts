/**
 * The one DynamoDB table of the portal: its keys, indexes and TTL attribute.
 * Imported by the job and user stores, by `sst.config.ts` (which creates the
 * table) and by the emulator tests (which create it on dynalite), so the
 * three can never disagree. No imports: sst.config.ts loads it as is.
 *
 * Items (every key attribute is a string):
 *
 * | item          | pk               | sk       | index keys                                                        |
 * |---------------|------------------|----------|-------------------------------------------------------------------|
 * | export        | `EXPORT#<id>`    | `EXPORT` | supplierPk=`SUPPLIER#<id>` (absent for all-supplier exports), entityPk=`EXPORT`, createdKey=entitySk=`<createdAt>#<id>`, status, expiresAt |
 * | user          | `USER#<id>`      | `USER`   | entityPk=`USER`, entitySk=`<email>`                                |
 * | email claim   | `EMAIL#<email>`  | `EMAIL`  | none: holds `userId` and makes the email unique                    |
 * | api token     | `APITOKEN#<prefix>` | `APITOKEN` | entityPk=`APITOKENS#<supplierId>`, entitySk=`<createdAt>#<id>`   |
 * | request claim | `CLAIM#<key>`    | `CLAIM`  | none; TTL (`expiresAtEpoch`) removes it after it expires           |
 * | webhook       | `WEBHOOK#<id>`   | `WEBHOOK`| entityPk=`WEBHOOKS#<supplierId>`, entitySk=`<createdAt>#<id>`      |
 * | delivery      | `WHDELIVERY#<id>`| `WHDELIVERY` | entityPk=`WHDELIVERIES#<endpointId>`, entitySk=`<createdAt>#<id>`; TTL 30 days |
 * | supplier      | `SUPPLIER#<id>`  | `SUPPLIER` | entityPk=`SUPPLIERS`, entitySk=`<id>`                          |
 * | owner version | `SUPPLIER#<id>`  | `OWNERS` | none: `ownersVersion`, the last-owner rule's serialisation point   |
 * | audit entry   | `AUDIT#<id>`     | `AUDIT`  | entityPk=`AUDIT`, entitySk=`<at>#<id>` (admins); supplierPk=`AUDITS#<supplierId>`, createdKey=`<at>#<id>` (owners); TTL = retention |
 * | rate window   | `RATE#<key>`     | `<window start, epoch s>` | none; a counter (`count`), TTL one window after it ends |
 * | suppressed    | `SUPPRESSED#<email>` | `SUPPRESSED` | none: an address SES reported as a hard bounce or a complaint; the mailer sends nothing to it |
 *
 * The export's step history is a list attribute of the export item, appended
 * with `list_append` in the same conditional UpdateItem as the status change,
 * so a status and its steps are written together or not at all (no
 * transactions needed). Attributes whose value is null are absent, so the
 * sparse indexes (supplier, expiry) only hold the items they are about.
 */

export const TABLE_KEYS = { partition: "pk", sort: "sk" } as const;

/**
 * The export record's fields, as item attributes (same names as `ExportRecord`).
 * Written out because this file imports nothing; test/lib/exports/export-record.test.ts
 * checks it against the record's schema.
 */
export const EXPORT_ATTRIBUTES = [
  "id",
  "supplierId",
  "requestedBy",
  "requesterEmail",
  "dataset",
  "params",
  "format",
  "bom",
  "columns",
  "delimiter",
  "notify",
  "status",
  "createdAt",
  "updatedAt",
  "startedAt",
  "finishedAt",
  "attempts",
  "statementId",
  "rowCount",
  "fileCount",
  "archiveBytes",
  "sha256",
  "archiveKey",
  "expiresAt",
  "errorCode",
  "errorMessage",
  "notifiedAt",
  "scheduleId",
] as const;

/** The user record's fields, as item attributes (same names as `UserRecord`). */
export const USER_ATTRIBUTES = ["id", "email", "name", "role", "supplierId", "supplierName", "passwordHash", "createdAt"] as const;

/**
 * Fields added to the user item later. Not in the `byEntity` projection (a
 * GSI's projection cannot change in place on AWS), so user listings read the
 * items themselves by key.
 */
export const USER_ITEM_ATTRIBUTES = [...USER_ATTRIBUTES, "membership", "sessionVersion", "disabledAt"] as const;

/** Attribute DynamoDB's TTL reads (epoch seconds). See `DynamoJobStore` for when it is set. */
export const TTL_ATTRIBUTE = "expiresAtEpoch";

/**
 * Items of the partner API (tokens, webhooks, deliveries) are listed through
 * the `byEntity` index under their own partition values; the index projects
 * only the export and user attributes, so listings read keys from the index
 * and the items themselves by key (strongly consistent, and lists are short).
 */
export const apiTokenKey = (prefix: string) => ({ pk: `APITOKEN#${prefix}`, sk: "APITOKEN" });
export const apiTokensEntity = (supplierId: string) => `APITOKENS#${supplierId}`;
export const rateWindowKey = (key: string, windowStart: number) => ({ pk: `RATE#${key}`, sk: String(windowStart) });
export const requestClaimKey = (key: string) => ({ pk: `CLAIM#${key}`, sk: "CLAIM" });
export const suppressionKey = (email: string) => ({ pk: `SUPPRESSED#${email.trim().toLowerCase()}`, sk: "SUPPRESSED" });
export const webhookKey = (id: string) => ({ pk: `WEBHOOK#${id}`, sk: "WEBHOOK" });
export const webhooksEntity = (supplierId: string) => `WEBHOOKS#${supplierId}`;
export const deliveryKey = (id: string) => ({ pk: `WHDELIVERY#${id}`, sk: "WHDELIVERY" });
export const deliveriesEntity = (endpointId: string) => `WHDELIVERIES#${endpointId}`;
export const supplierKey = (id: string) => ({ pk: `SUPPLIER#${id}`, sk: "SUPPLIER" });
/** The supplier's owner version (`ownersVersion`): bumped by every change that demotes or removes an owner (DynamoUserStore.changeMembership). */
export const ownersVersionKey = (supplierId: string) => ({ pk: `SUPPLIER#${supplierId}`, sk: "OWNERS" });
export const SUPPLIERS_ENTITY = "SUPPLIERS";
export const auditKey = (id: string) => ({ pk: `AUDIT#${id}`, sk: "AUDIT" });
export const AUDIT_ENTITY = "AUDIT";
export const auditSupplierPk = (supplierId: string) => `AUDITS#${supplierId}`;

export interface IndexDefinition {
  name: string;
  partitionKey: string;
  sortKey: string;
  /** Non-key attributes copied into the index (INCLUDE projection); the step history never is. */
  projection: readonly string[];
}

const without = (names: readonly string[], drop: readonly string[]) => names.filter((n) => !drop.includes(n));

/** A supplier's exports, newest first. */
export const BY_SUPPLIER: IndexDefinition = {
  name: "bySupplier",
  partitionKey: "supplierPk",
  sortKey: "createdKey",
  projection: EXPORT_ATTRIBUTES,
};

/** Every export (admin list), newest first; and every user, by email. */
export const BY_ENTITY: IndexDefinition = {
  name: "byEntity",
  partitionKey: "entityPk",
  sortKey: "entitySk",
  projection: [...new Set([...EXPORT_ATTRIBUTES, ...USER_ATTRIBUTES])],
};

/** Exports by status and expiry: the sweep's "ready and past expiresAt", oldest first. */
export const BY_STATUS_EXPIRY: IndexDefinition = {
  name: "byStatusExpiry",
  partitionKey: "status",
  sortKey: "expiresAt",
  projection: without(EXPORT_ATTRIBUTES, ["status", "expiresAt"]),
};

/** Exports by status and last update: the requeue sweep's "queued, untouched for a while" (issue 12, finding 4). */
export const BY_STATUS_UPDATED: IndexDefinition = {
  name: "byStatusUpdated",
  partitionKey: "status",
  sortKey: "updatedAt",
  projection: without(EXPORT_ATTRIBUTES, ["status", "updatedAt"]),
};

export const TABLE_INDEXES: readonly IndexDefinition[] = [BY_SUPPLIER, BY_ENTITY, BY_STATUS_EXPIRY, BY_STATUS_UPDATED];

/** Every attribute used as a table or index key (all strings). */
export const KEY_ATTRIBUTES: readonly string[] = [
  TABLE_KEYS.partition,
  TABLE_KEYS.sort,
  ...new Set(TABLE_INDEXES.flatMap((i) => [i.partitionKey, i.sortKey])),
];
