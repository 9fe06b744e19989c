/**
 * One dynalite per test file (started in beforeAll, stopped in afterAll) and a
 * contract suite's `make` for a store on a fresh table of the jobs layout.
 */
import { afterAll, beforeAll } from "vitest";
import { createJobsTable, startDynamo } from "./emulators";

export type Dynamo = Awaited<ReturnType<typeof startDynamo>>;

/** Starts dynalite for the calling test file; the getter is valid inside tests. */
export function useDynamo(): () => Dynamo {
  let dynamo: Dynamo | undefined;
  beforeAll(async () => {
    dynamo = await startDynamo();
  });
  afterAll(async () => {
    await dynamo?.stop();
  });
  return () => {
    if (!dynamo) throw new Error("dynalite is not started (use it inside a test)");
    return dynamo;
  };
}

export function onTable<T>(dynamo: () => Dynamo, build: (tableName: string) => T) {
  return async () => {
    const table = await createJobsTable(dynamo().client);
    return { store: build(table.name), cleanup: table.drop };
  };
}
