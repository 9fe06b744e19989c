/**
 * The one escaping function, fed hostile input. Every accepted value is
 * executed in DuckDB to prove its literal is one token: the statement parses
 * as exactly one statement, returns one row and one column (or two, when a
 * second column follows the literal), and the value comes back byte for byte.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { InvalidLiteralError, isDateOnly, parseIsoTimestamp, quoteLiteral, sqlNumber, sqlStringList, sqlTimestamp } from "./sql";

let instance: DuckDBInstance;
let con: DuckDBConnection;

beforeAll(async () => {
  instance = await DuckDBInstance.create(":memory:");
  con = await instance.connect();
});

afterAll(() => {
  con.closeSync();
  instance.closeSync();
});

/** Runs `sql`, after checking DuckDB's parser sees exactly one statement in it. */
async function runOne(sql: string): Promise<unknown[][]> {
  const statements = await con.extractStatements(sql);
  expect(statements.count).toBe(1);
  const reader = await con.runAndReadAll(sql);
  return reader.getRowsJS() as unknown[][];
}

const HOSTILE_ACCEPTED: [string, string][] = [
  ["empty", ""],
  ["single quote", "'"],
  ["two quotes", "''"],
  ["apostrophe in a name", "Côte d'Azur"],
  ["classic injection", "' OR 1=1 --"],
  ["quoted injection", "A' OR '1'='1"],
  ["stacked statement", "'; DROP TABLE x; --"],
  ["closing parenthesis", "x') TO '/tmp/evil.csv' (FORMAT csv); --"],
  ["line comment", "-- not a comment"],
  ["block comment", "/* */"],
  ["block comment breaking out", "*/ SELECT 1 /*"],
  ["semicolons", ";;;"],
  ["dollar quoting", "$$"],
  ["tagged dollar quoting", "$tag$ x $tag$"],
  ["double quotes", '"quoted" identifier'],
  ["E-string prefix text", "E'x'"],
  ["newlines and tabs", "line1\nline2\r\nline3\tend"],
  ["unicode line separators", "a\u2028b\u2029c\u0085d"],
  ["RTL override", "\u202Eevil\u202C txt"],
  ["Arabic", "مرحبا بالعالم"],
  ["Hebrew with quote", "שלום 'עולם'"],
  ["emoji incl. ZWJ sequence", "🌷🌹👩‍👩‍👧 🏳️‍🌈"],
  ["CJK", "花がとてもきれい"],
  ["combining marks", "e\u0301 Œillet Orchidée"],
  ["zero-width characters", "a\u200Bb\u200Dc\uFEFFd"],
  ["quote look-alikes", "’ ʼ ＇ ‘ ′"],
  ["control characters", "\u0001\u0007\u001b[31m"],
  ["long value full of quotes", "'a'".repeat(20_000)],
];

describe("quoteLiteral", () => {
  it("doubles single quotes and wraps the value", () => {
    expect(quoteLiteral("abc")).toBe("'abc'");
    expect(quoteLiteral("it's")).toBe("'it''s'");
    expect(quoteLiteral("")).toBe("''");
    expect(quoteLiteral("'")).toBe("''''");
  });

  it.each(HOSTILE_ACCEPTED)("renders %s as one token that round-trips byte for byte", async (_name, value) => {
    const rows = await runOne(`SELECT ${quoteLiteral(value)} AS v`);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toHaveLength(1);
    expect(Buffer.from(rows[0][0] as string, "utf8").equals(Buffer.from(value, "utf8"))).toBe(true);
  });

  it.each(HOSTILE_ACCEPTED)("keeps %s from swallowing the SQL that follows it", async (_name, value) => {
    const rows = await runOne(`SELECT ${quoteLiteral(value)} AS v, 42 AS after_it WHERE ${quoteLiteral(value)} = ${quoteLiteral(value)}`);
    expect(rows).toEqual([[value, 42]]);
  });

  it.each(HOSTILE_ACCEPTED)("survives being quoted twice, as the query inside UNLOAD('...') is", async (_name, value) => {
    // DuckDB's query() runs a SQL string: the local stand-in for Redshift's UNLOAD('<query>').
    const inner = `SELECT ${quoteLiteral(value)} AS v`;
    const rows = await runOne(`SELECT v FROM query(${quoteLiteral(inner)})`);
    expect(rows).toEqual([[value]]);
  });

  it.each([
    ["backslash", "a\\b"],
    ["backslash before a quote", "\\'; DROP TABLE x; --"],
    ["trailing backslash", "x\\"],
    ["NUL", "x\0y"],
    ["lone high surrogate", "a\uD800b"],
    ["lone low surrogate", "\uDC00"],
  ])("refuses %s", (_name, value) => {
    expect(() => quoteLiteral(value)).toThrow(InvalidLiteralError);
  });

  it("refuses values that are not strings", () => {
    expect(() => quoteLiteral(42 as unknown as string)).toThrow(InvalidLiteralError);
    expect(() => quoteLiteral(undefined as unknown as string)).toThrow(InvalidLiteralError);
  });
});

describe("sqlNumber", () => {
  it.each([
    [0, "0"],
    [42, "42"],
    [-5, "(-5)"],
    [-0, "0"],
    [2.5, "2.5"],
    [Number.MAX_SAFE_INTEGER, "9007199254740991"],
  ])("renders %s as %s, which DuckDB reads back as the same number", async (n, text) => {
    expect(sqlNumber(n)).toBe(text);
    const rows = await runOne(`SELECT ${sqlNumber(n)}::DOUBLE AS v, 1-${sqlNumber(n)} AS w`);
    expect(rows[0][0]).toBe(n === 0 ? 0 : n);
    expect(Number(rows[0][1])).toBe(1 - n);
  });

  it.each([NaN, Infinity, -Infinity, 1e21, 1e-7, 2 ** 60])("refuses %s", (n) => {
    expect(() => sqlNumber(n)).toThrow(InvalidLiteralError);
  });

  it("refuses values that are not numbers", () => {
    expect(() => sqlNumber("1; DROP TABLE x" as unknown as number)).toThrow(InvalidLiteralError);
  });
});

describe("sqlTimestamp", () => {
  it.each([
    ["2025-01-31", "2025-01-31 00:00:00"],
    ["2025-01-31T08:30", "2025-01-31 08:30:00"],
    ["2025-01-31T08:30:15Z", "2025-01-31 08:30:15"],
    ["2025-01-31 08:30:15.250", "2025-01-31 08:30:15.25"],
    ["2025-01-31T08:30:15.123456789Z", "2025-01-31 08:30:15.123"],
    ["2025-01-31T01:00:00+02:00", "2025-01-30 23:00:00"],
    ["2025-01-31T23:30:00-01:00", "2025-02-01 00:30:00"],
    ["2024-02-29", "2024-02-29 00:00:00"],
    ["0099-06-01", "0099-06-01 00:00:00"],
  ])("renders %s as a UTC TIMESTAMP DuckDB reads as %s", async (iso, expected) => {
    const literal = sqlTimestamp(iso);
    expect(literal).toMatch(/^TIMESTAMP '\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}'$/);
    const rows = await runOne(`SELECT CAST(${literal} AS VARCHAR) AS v`);
    expect(rows).toEqual([[expected]]);
  });

  it("accepts a Date", () => {
    expect(sqlTimestamp(new Date("2025-03-04T05:06:07.008Z"))).toBe("TIMESTAMP '2025-03-04 05:06:07.008'");
  });

  it.each([
    "yesterday",
    "",
    "2025-02-30",
    "2023-02-29",
    "2025-13-01",
    "2025-00-10",
    "2025-01-01T24:00",
    "2025-01-01T12:60",
    "2025-01-01T12:00:00+25:00",
    "0000-01-01",
    "+002025-01-01",
    "2025-1-1",
    "2025-01-01'; DROP TABLE x; --",
    "2025-01-01T00:00:00Z' OR '1'='1",
    "2025-01-01\\",
  ])("refuses %j", (iso) => {
    expect(parseIsoTimestamp(iso)).toBeNull();
    expect(() => sqlTimestamp(iso)).toThrow(InvalidLiteralError);
  });

  it("refuses an invalid Date", () => {
    expect(() => sqlTimestamp(new Date(NaN))).toThrow(InvalidLiteralError);
  });

  it("tells dates from date-times", () => {
    expect(isDateOnly("2025-01-31")).toBe(true);
    expect(isDateOnly("2025-01-31T00:00")).toBe(false);
  });
});

describe("sqlStringList", () => {
  it("renders an IN list of literals", async () => {
    expect(sqlStringList(["a", "b"])).toBe("('a', 'b')");
    const list = sqlStringList(["x", "' OR 1=1 --", "y'); DROP TABLE t; --"]);
    const rows = await runOne(`SELECT 'y''); DROP TABLE t; --' IN ${list} AS hit, 'OR' IN ${list} AS miss`);
    expect(rows).toEqual([[true, false]]);
  });

  it("refuses an empty list (IN () is not SQL) and any refused member", () => {
    expect(() => sqlStringList([])).toThrow(InvalidLiteralError);
    expect(() => sqlStringList(["ok", "a\\b"])).toThrow(InvalidLiteralError);
  });
});

describe("date bounds at the edge of year 9999 (issue 12, finding 9)", () => {
  it("renders `to` 9999-12-31 as up to its last instant, and refuses what lands outside 0001..9999 in UTC with a 400", async () => {
    const { upperBoundCondition, ZIsoDateOrDateTime } = await import("./types");
    expect(upperBoundCondition("created_at", "9999-12-31")).toBe("created_at <= TIMESTAMP '9999-12-31 23:59:59.999'");
    expect(upperBoundCondition("created_at", "2026-01-31")).toBe("created_at < TIMESTAMP '2026-02-01 00:00:00.000'");
    expect(ZIsoDateOrDateTime.safeParse("9999-12-31T23:00:00-05:00").success).toBe(false);
    expect(ZIsoDateOrDateTime.safeParse("0001-01-01T00:30:00+01:00").success).toBe(false);
    expect(ZIsoDateOrDateTime.safeParse("9999-12-31T23:59:59Z").success).toBe(true);
  });
});
