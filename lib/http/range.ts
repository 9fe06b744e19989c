/** What to send for a request's Range header (RFC 9110 §14), single ranges only. */
export type RangeResult =
  | { kind: "full" }
  /** Inclusive byte positions, already clamped to the object. */
  | { kind: "partial"; start: number; end: number }
  | { kind: "unsatisfiable" };

/**
 * Parses `bytes=a-b`, `bytes=a-` and `bytes=-n` against an object of `size`
 * bytes. Multi-range and malformed headers are ignored (a full response), as
 * RFC 9110 allows; a well-formed range that starts past the end is unsatisfiable.
 */
export function parseRange(header: string | null, size: number): RangeResult {
  if (header === null) return { kind: "full" };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return { kind: "full" };
  const [, first = "", last = ""] = m;
  if (first === "" && last === "") return { kind: "full" };
  const a = first === "" ? null : Number(first);
  const b = last === "" ? null : Number(last);
  if ((a !== null && !Number.isSafeInteger(a)) || (b !== null && !Number.isSafeInteger(b))) return { kind: "full" };

  if (a === null) {
    // Suffix range: the last b bytes.
    if (b === null || b === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "partial", start: Math.max(0, size - b), end: size - 1 };
  }
  // last < first is an invalid range-spec, which the RFC says to ignore.
  if (b !== null && b < a) return { kind: "full" };
  if (a >= size) return { kind: "unsatisfiable" };
  return { kind: "partial", start: a, end: b === null ? size - 1 : Math.min(b, size - 1) };
}
