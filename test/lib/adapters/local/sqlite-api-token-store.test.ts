/** SqliteApiTokenStore: the ApiTokenStore contract on SQLite. */
import { describe } from "vitest";
import { SqliteApiTokenStore } from "@/lib/adapters/local/sqlite-api-token-store";
import { testApiTokenStore } from "@/test/contracts/api-token-store.contract";
import { onSqlite } from "@/test/support/sqlite";

describe("SqliteApiTokenStore", () => testApiTokenStore(onSqlite((db) => new SqliteApiTokenStore(db))));
