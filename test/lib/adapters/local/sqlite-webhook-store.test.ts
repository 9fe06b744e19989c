/** SqliteWebhookStore: the WebhookStore contract (endpoints and deliveries) on SQLite. */
import { describe } from "vitest";
import { SqliteWebhookStore } from "@/lib/adapters/local/sqlite-webhook-store";
import { testWebhookStore } from "@/test/contracts/webhook-store.contract";
import { onSqlite } from "@/test/support/sqlite";

describe("SqliteWebhookStore", () => testWebhookStore(onSqlite((db) => new SqliteWebhookStore(db))));
