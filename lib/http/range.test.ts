import { describe, expect, it } from "vitest";
import { parseRange } from "./range";

describe("parseRange", () => {
  it.each([
    [null, 100, { kind: "full" }],
    ["bytes=0-9", 100, { kind: "partial", start: 0, end: 9 }],
    ["bytes=10-", 100, { kind: "partial", start: 10, end: 99 }],
    ["bytes=-10", 100, { kind: "partial", start: 90, end: 99 }],
    ["bytes=-500", 100, { kind: "partial", start: 0, end: 99 }],
    ["bytes=90-500", 100, { kind: "partial", start: 90, end: 99 }],
    ["bytes=99-99", 100, { kind: "partial", start: 99, end: 99 }],
    ["Bytes = 5 - 6 ", 100, { kind: "partial", start: 5, end: 6 }],
    ["bytes=100-", 100, { kind: "unsatisfiable" }],
    ["bytes=100-200", 100, { kind: "unsatisfiable" }],
    ["bytes=-0", 100, { kind: "unsatisfiable" }],
    ["bytes=0-", 0, { kind: "unsatisfiable" }],
    ["bytes=-5", 0, { kind: "unsatisfiable" }],
    ["bytes=9-0", 100, { kind: "full" }],
    ["bytes=0-1,5-6", 100, { kind: "full" }],
    ["bytes=-", 100, { kind: "full" }],
    ["items=0-9", 100, { kind: "full" }],
    ["bytes=a-b", 100, { kind: "full" }],
    ["bytes=1.5-2", 100, { kind: "full" }],
    ["bytes=99999999999999999999-", 100, { kind: "full" }],
    ["", 100, { kind: "full" }],
  ] as const)("%j of %d bytes -> %j", (header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });
});
