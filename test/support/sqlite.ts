/** A contract suite's `make` for a store on a fresh SQLite file in a temp folder, removed on cleanup. */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { openSqlite } from "@/lib/adapters/local/sqlite";

export function onSqlite<T>(build: (db: ReturnType<typeof openSqlite>) => T) {
  return async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "pep-sqlite-"));
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
