/** The partner API's store contracts (tokens, request claims, webhooks) on SQLite. */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe } from "vitest";
import { openSqlite } from "@/lib/adapters/local/sqlite";
import { SqliteApiTokenStore } from "@/lib/adapters/local/sqlite-api-token-store";
import { SqliteRequestClaimStore } from "@/lib/adapters/local/sqlite-request-claim-store";
import { SqliteWebhookStore } from "@/lib/adapters/local/sqlite-webhook-store";
import { testApiTokenStore } from "@/test/contracts/api-token-store.contract";
import { testRequestClaimStore } from "@/test/contracts/request-claim-store.contract";
import { testWebhookStore } from "@/test/contracts/webhook-store.contract";

function sqlite<T>(build: (db: ReturnType<typeof openSqlite>) => T) {
  return async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "pep-partner-"));
    const db = openSqlite(path.join(dir, "jobs.sqlite"));
    return {
      store: build(db),
      cleanup: async () => {
        db.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  };
}

describe("SqliteApiTokenStore", () => testApiTokenStore(sqlite((db) => new SqliteApiTokenStore(db))));
describe("SqliteRequestClaimStore", () => testRequestClaimStore(sqlite((db) => new SqliteRequestClaimStore(db))));
describe("SqliteWebhookStore", () => testWebhookStore(sqlite((db) => new SqliteWebhookStore(db))));
