/**
 * Rendering values as SQL literals. Redshift's `UNLOAD ('...')` takes no bind
 * parameters, so every value that reaches a warehouse is rendered here and
 * nowhere else; the AWS adapter also uses `quoteLiteral` to wrap the whole
 * inner query. Values are validated by a dataset's zod schema first: these
 * functions are the last line, and they refuse rather than guess.
 */

/** A value that has no single literal rendering valid in both Redshift and DuckDB. */
export class InvalidLiteralError extends Error {
  constructor(reason: string) {
    super(`value cannot be rendered as an SQL literal: ${reason}`);
    this.name = "InvalidLiteralError";
  }
}

/** Lone UTF-16 surrogates: with the `u` flag a proper pair is one code point, so only unpaired halves match. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Renders `value` as one standard SQL string literal: `'...'` with every
 * single quote doubled, everything else kept verbatim (unicode, `$$`, `--`,
 * `/*`, `;` are inert inside the quotes).
 *
 * Refused, with `InvalidLiteralError`:
 * - backslash: an escape character inside Redshift literals but a plain
 *   character in DuckDB (standard_conforming_strings), so no rendering means
 *   the same value in both; no dataset schema allows it.
 * - NUL: neither warehouse stores it in a VARCHAR, and C-string handling
 *   anywhere on the path could truncate the statement at it.
 * - lone surrogates: not encodable as UTF-8, so the bytes that would reach
 *   the warehouse (U+FFFD) differ from the value that was validated.
 */
export function quoteLiteral(value: string): string {
  if (typeof value !== "string") throw new InvalidLiteralError(`expected a string, got ${typeof value}`);
  if (value.includes("\\")) throw new InvalidLiteralError("backslashes are not allowed");
  if (value.includes("\0")) throw new InvalidLiteralError("NUL characters are not allowed");
  if (LONE_SURROGATE.test(value)) throw new InvalidLiteralError("unpaired UTF-16 surrogates are not allowed");
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * Renders a finite number in plain decimal notation. Exponent notation is
 * refused: Redshift reads `1e-7` as a float and DuckDB as a double, so a
 * comparison with a DECIMAL column could differ between the two. Negative
 * numbers are parenthesised so that no surrounding text can turn `-` into the
 * start of a `--` comment.
 */
export function sqlNumber(n: number): string {
  if (typeof n !== "number" || !Number.isFinite(n)) throw new InvalidLiteralError(`not a finite number: ${String(n)}`);
  if (Number.isInteger(n) && !Number.isSafeInteger(n)) throw new InvalidLiteralError(`integer outside the exactly representable range: ${n}`);
  // String(-0) is "0", which is what we want.
  const text = String(n);
  if (/e/i.test(text)) throw new InvalidLiteralError(`number needs exponent notation: ${text}`);
  return n < 0 ? `(${text})` : text;
}

const ISO_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * Parses an ISO 8601 date (`2025-01-31`) or date-time (`2025-01-31T08:00`,
 * `...:00Z`, `...:00.123+02:00`) into the instant it names, in UTC. A
 * date-time without an offset is taken as UTC, like the warehouse's
 * `TIMESTAMP` columns. Returns null for anything else, including dates that
 * do not exist (2025-02-30) and years outside 0001..9999.
 */
export function parseIsoTimestamp(iso: string): Date | null {
  if (typeof iso !== "string") return null;
  const m = ISO_TIMESTAMP.exec(iso);
  if (!m) return null;
  const [, y, mo, d, h = "0", mi = "0", s = "0", frac = "", zone = "Z"] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (year < 1 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const ms = frac === "" ? 0 : Math.floor(Number(`0.${frac}`) * 1000);
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0..99 to 1900..1999.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  // A day past the month's end rolls over (Feb 30 -> Mar 2): such a date does not exist.
  if (date.getUTCDate() !== day || date.getUTCMonth() !== month - 1) return null;
  if (zone !== "Z") {
    const sign = zone[0] === "-" ? -1 : 1;
    const offH = Number(zone.slice(1, 3));
    const offM = Number(zone.slice(4, 6));
    if (offH > 23 || offM > 59) return null;
    date.setTime(date.getTime() - sign * (offH * 60 + offM) * 60_000);
  }
  const utcYear = date.getUTCFullYear();
  if (utcYear < 1 || utcYear > 9999) return null;
  return date;
}

/** True for a date without a time part (`2025-01-31`): filters read it as the whole day. */
export function isDateOnly(iso: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(iso);
}

/**
 * Renders an instant as `TIMESTAMP 'YYYY-MM-DD HH:MM:SS.mmm'` in UTC, a form
 * both Redshift and DuckDB read. Accepts what `parseIsoTimestamp` accepts, or a Date.
 */
export function sqlTimestamp(iso: string | Date): string {
  const date = iso instanceof Date ? (Number.isNaN(iso.getTime()) ? null : iso) : parseIsoTimestamp(iso);
  if (!date) throw new InvalidLiteralError(`not an ISO 8601 date or date-time: ${JSON.stringify(String(iso))}`);
  const year = date.getUTCFullYear();
  if (year < 1 || year > 9999) throw new InvalidLiteralError(`year ${year} is outside 0001..9999`);
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  const text =
    `${pad(year, 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.${pad(date.getUTCMilliseconds(), 3)}`;
  return `TIMESTAMP ${quoteLiteral(text)}`;
}

/** Renders a non-empty list of strings as `('a', 'b')`, for `IN`. An empty list has no valid rendering. */
export function sqlStringList(values: readonly string[]): string {
  if (!Array.isArray(values) || values.length === 0) throw new InvalidLiteralError("an IN list needs at least one value");
  return `(${values.map(quoteLiteral).join(", ")})`;
}
