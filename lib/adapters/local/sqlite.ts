import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";

export type { Database } from "better-sqlite3";

/**
 * Opens the local state database shared by the web process and the worker.
 * WAL lets readers run while one writer commits; the busy timeout makes the
 * second process wait for the write lock instead of failing with SQLITE_BUSY.
 */
export function openSqlite(file: string): Database.Database {
  if (file !== ":memory:") mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("busy_timeout = 5000");
  // NORMAL is durable across process crashes in WAL mode; only an OS crash can lose the last commits.
  db.pragma("synchronous = NORMAL");
  return db;
}
