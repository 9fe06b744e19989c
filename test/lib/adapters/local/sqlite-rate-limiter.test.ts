/** The rate limiter contract on SQLite; each instance opens its own connection to one file, as the web and worker processes do. */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe } from "vitest";
import { openSqlite } from "@/lib/adapters/local/sqlite";
import { SqliteRateLimiter } from "@/lib/adapters/local/sqlite-rate-limiter";
import { testRateLimiter } from "../../../contracts/rate-limiter.contract";

describe("SqliteRateLimiter", () =>
  testRateLimiter(async ({ limit, windowSeconds }) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "pep-rate-"));
    const file = path.join(dir, "jobs.sqlite");
    const opened: ReturnType<typeof openSqlite>[] = [];
    return {
      instance: () => {
        const db = openSqlite(file);
        opened.push(db);
        return new SqliteRateLimiter({ db, limit, windowSeconds });
      },
      cleanup: async () => {
        for (const db of opened) db.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  }));
