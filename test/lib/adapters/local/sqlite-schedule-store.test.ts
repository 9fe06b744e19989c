/** The ScheduleStore contract on SQLite. */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe } from "vitest";
import { openSqlite } from "@/lib/adapters/local/sqlite";
import { SqliteScheduleStore } from "@/lib/adapters/local/sqlite-schedule-store";
import { testScheduleStore } from "../../../contracts/schedule-store.contract";

describe("SqliteScheduleStore", () =>
  testScheduleStore(async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "pep-sched-"));
    const db = openSqlite(path.join(dir, "jobs.sqlite"));
    return {
      store: new SqliteScheduleStore(db),
      cleanup: async () => {
        db.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  }));
