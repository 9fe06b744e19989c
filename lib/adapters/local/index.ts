/**
 * The local backend's adapters, in one module so `lib/config.ts` can load
 * them with one dynamic import inside its local branch: in aws mode this
 * module (and with it better-sqlite3 and @duckdb/node-api, native modules
 * built for this machine's Node) is never evaluated.
 */
export { DiskObjectStore } from "./disk-object-store";
export { DuckDbWarehouse } from "./duckdb-warehouse";
export { OutboxMailer } from "./outbox-mailer";
export { openSqlite } from "./sqlite";
export { SqliteJobStore } from "./sqlite-job-store";
export { SqliteQueue } from "./sqlite-queue";
export { SqliteUserStore } from "./sqlite-user-store";
export { SqliteApiTokenStore } from "./sqlite-api-token-store";
export { SqliteRequestClaimStore } from "./sqlite-request-claim-store";
export { SqliteWebhookStore } from "./sqlite-webhook-store";
export { SqliteScheduleStore } from "./sqlite-schedule-store";
export { SqliteRateLimiter } from "./sqlite-rate-limiter";
export { SqliteSupplierStore } from "./sqlite-supplier-store";
export { SqliteAuditStore } from "./sqlite-audit-store";
