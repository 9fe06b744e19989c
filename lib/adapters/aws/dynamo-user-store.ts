import { randomUUID } from "node:crypto";
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ApiError } from "@/lib/core/errors";
import type { Membership, MembershipChange, UserRecord, UserStore } from "@/lib/ports";
import { awsErrorName } from "./aws-errors";
import { resolveClient, type ClientSource } from "./clients";
import { BY_ENTITY, ownersVersionKey, USER_ITEM_ATTRIBUTES } from "./dynamo-schema";

export interface DynamoUserStoreOptions {
  client: ClientSource<DynamoDBDocumentClient>;
  tableName: string;
  /**
   * An email claim whose user item never appeared is taken over after this
   * long (a process that died between the two writes). Default 60 s.
   */
  orphanClaimAfterMs?: number;
}

type Item = Record<string, unknown>;

const ENTITY_USER = "USER";
const userKey = (id: string) => ({ pk: `USER#${id}`, sk: "USER" });
const emailKey = (email: string) => ({ pk: `EMAIL#${email}`, sk: "EMAIL" });

/**
 * Portal users on DynamoDB, in the same table as the exports (see
 * `dynamo-schema.ts`): a `USER#<id>` item per user, and an `EMAIL#<email>`
 * claim item that makes emails unique.
 *
 * Without transactions, `createUser` writes in an order that is safe at every
 * step: first the claim (a conditional put, so exactly one of several
 * concurrent creates gets the email), then the user item. A claim whose user
 * item is missing is invisible (lookups by email follow the claim to the user
 * and find nothing) and is taken over by a later create once it is older than
 * `orphanClaimAfterMs`; the creator that lost its claim that way notices when
 * it re-reads the claim after writing, and removes its user again.
 */
export class DynamoUserStore implements UserStore {
  private readonly source: ClientSource<DynamoDBDocumentClient>;
  private readonly table: string;
  private readonly orphanAfterMs: number;

  constructor(opts: DynamoUserStoreOptions) {
    if (!opts.tableName) throw new Error("DynamoUserStore: tableName is required");
    this.source = opts.client;
    this.table = opts.tableName;
    this.orphanAfterMs = opts.orphanClaimAfterMs ?? 60_000;
  }

  private get db(): DynamoDBDocumentClient {
    return resolveClient(this.source);
  }

  async createUser(user: UserRecord): Promise<void> {
    const email = normaliseEmail(user.email);
    const token = randomUUID();
    await this.claimEmail(email, user.id, token);

    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...userKey(user.id), ...toAttributes({ ...user, email }), entityPk: ENTITY_USER, entitySk: email },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
    } catch (err) {
      await this.releaseClaim(email, token);
      if (awsErrorName(err) === "ConditionalCheckFailedException") throw new ApiError("conflict", `User ${user.id} already exists.`);
      throw err;
    }

    // Our claim may have been taken over as an orphan while we were slow: then the email is someone else's.
    const claim = await this.readClaim(email);
    if (claim?.token !== token) {
      await this.db.send(new DeleteCommand({ TableName: this.table, Key: userKey(user.id) }));
      throw new ApiError("conflict", `A user with the email ${email} already exists.`);
    }
  }

  async updateUser(user: UserRecord): Promise<void> {
    // Email and creation time are the account's identity: they are not changed here.
    // Nor the session version: only bumpSessionVersion moves it, so a stale read-modify-write cannot undo a bump.
    const names: Record<string, string> = { "#name": "name", "#role": "role", "#passwordHash": "passwordHash" };
    const values: Record<string, unknown> = { ":name": user.name, ":role": user.role, ":passwordHash": user.passwordHash };
    const sets = ["#name = :name", "#role = :role", "#passwordHash = :passwordHash"];
    const removes: string[] = [];
    for (const field of ["supplierId", "supplierName", "membership", "disabledAt"] as const) {
      names[`#${field}`] = field;
      const value = user[field];
      if (value === null) removes.push(`#${field}`);
      else {
        values[`:${field}`] = value;
        sets.push(`#${field} = :${field}`);
      }
    }
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: userKey(user.id),
          UpdateExpression: `SET ${sets.join(", ")}${removes.length ? ` REMOVE ${removes.join(", ")}` : ""}`,
          ConditionExpression: "attribute_exists(pk)",
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (err) {
      if (awsErrorName(err) === "ConditionalCheckFailedException") throw new ApiError("not_found", `User ${user.id} does not exist.`);
      throw err;
    }
  }

  async bumpSessionVersion(id: string): Promise<number | null> {
    try {
      const out = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: userKey(id),
          // Users written before versions existed have none: they count as 1.
          UpdateExpression: "SET #v = if_not_exists(#v, :one) + :one",
          ConditionExpression: "attribute_exists(pk)",
          ExpressionAttributeNames: { "#v": "sessionVersion" },
          ExpressionAttributeValues: { ":one": 1 },
          ReturnValues: "UPDATED_NEW",
        }),
      );
      return Number(out.Attributes?.sessionVersion);
    } catch (err) {
      if (awsErrorName(err) === "ConditionalCheckFailedException") return null;
      throw err;
    }
  }

  async deleteUser(id: string): Promise<boolean> {
    const out = await this.db.send(new DeleteCommand({ TableName: this.table, Key: userKey(id), ReturnValues: "ALL_OLD" }));
    if (!out.Attributes) return false;
    const email = String(out.Attributes.email);
    // Free the email only if the claim still points at this user.
    try {
      await this.db.send(
        new DeleteCommand({ TableName: this.table, Key: emailKey(email), ConditionExpression: "userId = :u", ExpressionAttributeValues: { ":u": id } }),
      );
    } catch (err) {
      if (awsErrorName(err) !== "ConditionalCheckFailedException") throw err;
    }
    return true;
  }

  /**
   * DynamoDB could check and write in one TransactWriteItems, but dynalite
   * (the tests' emulator) has no transactions. So a change that demotes or
   * removes an active owner is serialised on the supplier's owner version
   * (`SUPPLIER#<id>` / `OWNERS`): read the version, count the active owners
   * (strongly consistent reads), write the membership conditionally on the one
   * just read, then bump the version conditionally on the one read first. Of
   * two changes checked against the same owners only one bump succeeds; the
   * other puts its owner back and looks again, now counting the first change.
   * Each kept change therefore counted every earlier kept change's write, so
   * the last one always saw another owner that stays. (A per-supplier owner
   * counter would have to follow every other write that makes or unmakes an
   * owner: invitations, SSO, disabling, items from before memberships.)
   * Changes that take no owner away need no check and skip the version.
   */
  async changeMembership(id: string, membership: Membership | null): Promise<MembershipChange> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const user = await this.getUser(id);
      if (!user || user.role !== "supplier" || !user.membership) return "not_found";
      if (!(user.membership === "owner" && !user.disabledAt && membership !== "owner")) {
        if (membership === null) return (await this.deleteUser(id)) ? "changed" : "not_found";
        // Changed since we read it (perhaps made an owner): read again, so the check is made on what is stored.
        if (await this.setMembershipIf(id, user.membership, membership)) return "changed";
        continue;
      }
      const version = await this.readOwnersVersion(user.supplierId!);
      if ((await this.countActiveOwners(user.supplierId)) <= 1) return "last_owner";
      // An owner is removed by demoting them this way first, then deleting.
      const next = membership ?? "member";
      if (!(await this.setMembershipIf(id, "owner", next))) continue;
      if (!(await this.bumpOwnersVersion(user.supplierId!, version))) {
        // Another change was checked against the same owners and got in first: undo ours and look again.
        await this.setMembershipIf(id, next, "owner");
        continue;
      }
      if (membership === null) await this.deleteUser(id);
      return "changed";
    }
    throw new ApiError("conflict", "The member was changed by someone else at the same time; try again.");
  }

  private async readOwnersVersion(supplierId: string): Promise<number> {
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: ownersVersionKey(supplierId), ConsistentRead: true }));
    return Number(out.Item?.ownersVersion ?? 0);
  }

  /** Moves the owner version from `version` to the next; false when another change moved it first. */
  private async bumpOwnersVersion(supplierId: string, version: number): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: ownersVersionKey(supplierId),
          UpdateExpression: "SET #v = :next",
          ConditionExpression: version === 0 ? "attribute_not_exists(#v)" : "#v = :version",
          ExpressionAttributeNames: { "#v": "ownersVersion" },
          ExpressionAttributeValues: version === 0 ? { ":next": 1 } : { ":next": version + 1, ":version": version },
        }),
      );
      return true;
    } catch (err) {
      if (awsErrorName(err) === "ConditionalCheckFailedException") return false;
      throw err;
    }
  }

  /** Sets the membership if it still is `expected` (items from before memberships have none: owners). */
  private async setMembershipIf(id: string, expected: Membership, membership: Membership): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: userKey(id),
          UpdateExpression: "SET #m = :m",
          ConditionExpression: expected === "owner" ? "attribute_exists(pk) AND (#m = :old OR attribute_not_exists(#m))" : "#m = :old",
          ExpressionAttributeNames: { "#m": "membership" },
          ExpressionAttributeValues: { ":m": membership, ":old": expected },
        }),
      );
      return true;
    } catch (err) {
      if (awsErrorName(err) === "ConditionalCheckFailedException") return false;
      throw err;
    }
  }

  /** The supplier's active owners, each read strongly consistently (listUsers reads every item). */
  private async countActiveOwners(supplierId: string | null): Promise<number> {
    return (await this.listUsers()).filter((u) => u.role === "supplier" && u.supplierId === supplierId && u.membership === "owner" && !u.disabledAt).length;
  }

  async getUserByEmail(email: string): Promise<UserRecord | null> {
    const normalised = normaliseEmail(email);
    const claim = await this.readClaim(normalised);
    if (!claim) return null;
    const user = await this.getUser(claim.userId);
    // A claim left by a create that died, or a user whose claim was taken over, is no match.
    return user && user.email === normalised ? user : null;
  }

  async getUser(id: string): Promise<UserRecord | null> {
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: userKey(id), ConsistentRead: true }));
    return out.Item ? fromItem(out.Item) : null;
  }

  async listUsers(): Promise<UserRecord[]> {
    const ids: string[] = [];
    let startKey: Item | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: BY_ENTITY.name,
          KeyConditionExpression: "#p = :user",
          ExpressionAttributeNames: { "#p": BY_ENTITY.partitionKey },
          ExpressionAttributeValues: { ":user": ENTITY_USER },
          ScanIndexForward: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of out.Items ?? []) ids.push(String(item.id));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    // The index does not project every field (see USER_ITEM_ATTRIBUTES): read each item; lists are short.
    const users = await Promise.all(ids.map((id) => this.getUser(id)));
    return users.filter((u): u is UserRecord => u !== null);
  }

  /** Takes the email for `userId`, or throws a conflict. Reclaims a stale orphan claim. */
  private async claimEmail(email: string, userId: string, token: string): Promise<void> {
    const claim = { ...emailKey(email), userId, token, claimedAt: Date.now() };
    try {
      await this.db.send(new PutCommand({ TableName: this.table, Item: claim, ConditionExpression: "attribute_not_exists(pk)" }));
      return;
    } catch (err) {
      if (awsErrorName(err) !== "ConditionalCheckFailedException") throw err;
    }
    const existing = await this.readClaim(email);
    const conflict = new ApiError("conflict", `A user with the email ${email} already exists.`);
    if (!existing) {
      // Released between our put and our read (a failed create): try once more.
      try {
        await this.db.send(new PutCommand({ TableName: this.table, Item: claim, ConditionExpression: "attribute_not_exists(pk)" }));
        return;
      } catch (err) {
        if (awsErrorName(err) === "ConditionalCheckFailedException") throw conflict;
        throw err;
      }
    }
    const orphaned = Date.now() - existing.claimedAt > this.orphanAfterMs && !(await this.getUser(existing.userId));
    if (!orphaned) throw conflict;
    try {
      await this.db.send(
        new PutCommand({ TableName: this.table, Item: claim, ConditionExpression: "#token = :token", ExpressionAttributeNames: { "#token": "token" }, ExpressionAttributeValues: { ":token": existing.token } }),
      );
    } catch (err) {
      if (awsErrorName(err) === "ConditionalCheckFailedException") throw conflict;
      throw err;
    }
  }

  /** Removes our own claim (only if it is still ours). */
  private async releaseClaim(email: string, token: string): Promise<void> {
    try {
      await this.db.send(
        new DeleteCommand({ TableName: this.table, Key: emailKey(email), ConditionExpression: "#token = :token", ExpressionAttributeNames: { "#token": "token" }, ExpressionAttributeValues: { ":token": token } }),
      );
    } catch (err) {
      if (awsErrorName(err) !== "ConditionalCheckFailedException") throw err;
    }
  }

  private async readClaim(email: string): Promise<{ userId: string; token: string; claimedAt: number } | null> {
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: emailKey(email), ConsistentRead: true }));
    const item = out.Item;
    if (!item || typeof item.userId !== "string" || typeof item.token !== "string") return null;
    return { userId: item.userId, token: item.token, claimedAt: Number(item.claimedAt ?? 0) };
  }
}

function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

function toAttributes(user: UserRecord): Item {
  const item: Item = {};
  for (const field of USER_ITEM_ATTRIBUTES) {
    const value = user[field];
    if (value !== null && value !== undefined) item[field] = value;
  }
  return item;
}

function fromItem(item: Item): UserRecord {
  const out: Record<string, unknown> = {};
  for (const field of USER_ITEM_ATTRIBUTES) out[field] = item[field] ?? null;
  // Items written before these fields existed: a sole supplier user owned the account; versions start at 1.
  if (out.membership === null && out.role === "supplier") out.membership = "owner";
  out.sessionVersion = Number(out.sessionVersion ?? 1);
  return out as unknown as UserRecord;
}
