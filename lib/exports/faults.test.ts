import { describe, expect, it } from "vitest";
import { BackendError, ObjectNotFoundError } from "../core/errors";
import { InvalidLiteralError } from "../datasets/sql";
import { classifyFault } from "./faults";

describe("classifyFault", () => {
  it("fails at once, in plain words, what a retry cannot fix (issue 12, finding 9)", () => {
    const permanent = [
      [new InvalidLiteralError("year 10000 is outside 0001..9999"), "invalid_params"],
      [new ObjectNotFoundError("unload/exp_1/part_0.csv"), "part_missing"],
      [new BackendError("warehouse_unavailable", "Could not open the warehouse: IO Error: The file \"w.duckdb\" exists, but it is not a valid DuckDB database file!", true), "warehouse_damaged"],
      [Object.assign(new Error("database disk image is malformed"), { code: "SQLITE_CORRUPT" }), "warehouse_damaged"],
      [new BackendError("unknown_dataset", "Dataset \"x\" no longer exists.", false), "unknown_dataset"],
    ] as const;
    for (const [err, code] of permanent) {
      const fault = classifyFault(err);
      expect(fault, String(err)).toMatchObject({ code, retryable: false });
      expect(fault.message).not.toMatch(/unload\/|IO Error|SQLITE|year 10000/);
    }
  });

  it("retries what may clear: a busy or full disk, a refused connection, an unavailable warehouse, anything unknown", () => {
    for (const err of [
      Object.assign(new Error("no space left on device"), { code: "ENOSPC" }),
      Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
      new BackendError("warehouse_unavailable", "No warehouse file at /x; run `npm run seed`.", true),
      new Error("something nobody foresaw"),
    ]) {
      expect(classifyFault(err).retryable, String(err)).toBe(true);
    }
  });
});
