/** SqliteRequestClaimStore: the RequestClaimStore contract (Idempotency-Key claims) on SQLite. */
import { describe } from "vitest";
import { SqliteRequestClaimStore } from "@/lib/adapters/local/sqlite-request-claim-store";
import { testRequestClaimStore } from "@/test/contracts/request-claim-store.contract";
import { onSqlite } from "@/test/support/sqlite";

describe("SqliteRequestClaimStore", () => testRequestClaimStore(onSqlite((db) => new SqliteRequestClaimStore(db))));
