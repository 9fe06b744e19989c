/**
 * The dataset contract, and the shared pieces that make every dataset follow
 * it the same way: the supplier scope clause, the SELECT renderer and the
 * field schemas (a "skus" filter means the same thing in every dataset).
 */
import { z } from "zod";
import { isDateOnly, parseIsoTimestamp, quoteLiteral, sqlTimestamp } from "./sql";

/**
 * Whose rows a query may read. It comes from the session or API token, never
 * from the request, and reaches the SQL builder as its own argument so no
 * filter value can widen it. `all` is for admins only.
 */
export type SupplierScope = { kind: "supplier"; supplierId: string } | { kind: "all" };

/** One output column, as shown on the export form and in the API docs. */
export interface DatasetColumn {
  name: string;
  /** Warehouse type, for people (e.g. `varchar`, `integer`, `decimal(12,2)`, `timestamp`). */
  type: string;
  description: string;
}

/** One exportable dataset: its filters and how they become one SELECT. */
export interface DatasetDefinition<P = Record<string, unknown>> {
  /** Stable id stored with each export (`product_inventory`). */
  id: string;
  title: string;
  description: string;
  /** The columns the query returns, in order. Never includes `supplier_id`. */
  columns: readonly DatasetColumn[];
  /**
   * The column that says when a row last changed, on the warehouse's clock,
   * and the two filters that bound it as a half-open interval [from, before).
   * Incremental schedules set those two filters to their window. Absent: the
   * dataset cannot be exported incrementally.
   */
  changeCursor?: { column: string; fromParam: string; beforeParam: string };
  /** Strict schema of the filters: unknown keys and malformed values are refused with messages for people. */
  paramsSchema: z.ZodType<P>;
  /**
   * The dataset's SELECT for these filters, scoped to `scope`, every value
   * rendered by `sql.ts`. Re-validates `params` (throws ZodError when they are
   * not valid) so no caller can reach SQL with unvalidated input. `columns`:
   * the output columns in this order (names from `columns`; null or omitted:
   * all); an unknown or repeated name throws `UnknownColumnsError`.
   */
  buildQuery(params: P, scope: SupplierScope, columns?: readonly string[] | null, options?: QueryOptions): string;
  /**
   * Filters whose values come from the supplier's own data (e.g. its
   * warehouses): for each, a SELECT of one column `value`, scoped to `scope`.
   * The form offers them as a select; the schema still validates the value.
   */
  paramOptions?: Readonly<Record<string, (scope: SupplierScope) => string>>;
}

/** How the query renders values, beyond which rows and columns. */
export interface QueryOptions {
  /**
   * The decimal mark of numeric columns (decimal, numeric, real, float,
   * double): "," for the semicolon CSV a Dutch or German Excel opens, where
   * "12.50" would be read as text or a date. Default ".", the warehouse's own.
   */
  decimalMark?: "." | ",";
}

/** What a dataset module declares: its `buildQuery` gets the chosen columns already checked against the catalog. */
export interface DatasetSpec<P> extends Omit<DatasetDefinition<P>, "buildQuery"> {
  buildQuery(params: P, scope: SupplierScope, columns: readonly DatasetColumn[]): string;
}

/** Column names a dataset does not have (or names given twice); the message names them. */
export class UnknownColumnsError extends Error {
  constructor(
    readonly unknown: readonly string[],
    readonly repeated: readonly string[] = [],
  ) {
    const parts = [
      ...(unknown.length ? [`no such column${unknown.length > 1 ? "s" : ""}: ${unknown.map((n) => JSON.stringify(n)).join(", ")}`] : []),
      ...(repeated.length ? [`listed twice: ${repeated.map((n) => JSON.stringify(n)).join(", ")}`] : []),
    ];
    super(parts.join("; ") || "no columns chosen");
    this.name = "UnknownColumnsError";
  }
}

/**
 * The catalog columns named by `names`, in that order; all of them for null or
 * undefined. Throws `UnknownColumnsError` naming every unknown or repeated
 * name, and for an empty list (an export needs at least one column).
 */
export function selectColumns(all: readonly DatasetColumn[], names: readonly string[] | null | undefined): readonly DatasetColumn[] {
  if (names === null || names === undefined) return all;
  if (!Array.isArray(names)) throw new UnknownColumnsError([String(names)]);
  if (names.length === 0) throw new UnknownColumnsError([]);
  const byName = new Map(all.map((c) => [c.name, c]));
  const unknown = names.filter((n) => typeof n !== "string" || !byName.has(n)).map(String);
  const repeated = names.filter((n, i) => names.indexOf(n) !== i);
  if (unknown.length || repeated.length) throw new UnknownColumnsError(unknown, [...new Set(repeated)]);
  return names.map((n) => byName.get(n)!);
}

/** Thrown when a scope is malformed: a supplier id that is not one of ours can never reach SQL. */
export class InvalidScopeError extends Error {
  constructor(reason: string) {
    super(`invalid supplier scope: ${reason}`);
    this.name = "InvalidScopeError";
  }
}

const SUPPLIER_ID = /^[a-z0-9_]{1,40}$/;

/** The scope's WHERE condition, or null for `all`. Throws InvalidScopeError for anything else. */
export function scopeCondition(scope: SupplierScope): string | null {
  // Checked at run time too: scopes are built from sessions and job records, not only from typed code.
  if (scope === null || typeof scope !== "object") throw new InvalidScopeError("missing");
  if (scope.kind === "all") return null;
  if (scope.kind === "supplier") {
    if (typeof scope.supplierId !== "string" || !SUPPLIER_ID.test(scope.supplierId)) {
      throw new InvalidScopeError(`supplier id must match ${SUPPLIER_ID}`);
    }
    return `supplier_id = ${quoteLiteral(scope.supplierId)}`;
  }
  throw new InvalidScopeError(`unknown kind ${JSON.stringify((scope as { kind?: unknown }).kind)}`);
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;

/** `SELECT DISTINCT <column> AS value FROM <table> WHERE <scope>`: the values a filter can take for this scope. */
export function renderDistinct(table: string, column: string, scope: SupplierScope): string {
  for (const name of [table, column]) if (!IDENTIFIER.test(name)) throw new Error(`not a plain identifier: ${JSON.stringify(name)}`);
  const cond = scopeCondition(scope);
  return [`SELECT DISTINCT ${column} AS value`, `FROM ${table}`, ...(cond ? [`WHERE ${cond}`] : [])].join("\n");
}

/**
 * Renders `SELECT <columns> FROM <table> WHERE <scope> AND ...`.
 * The scope condition is always the first one: a dataset cannot forget it.
 * `where` entries must already be rendered with `sql.ts`; table and column
 * names are constants of the dataset and are checked to be plain identifiers.
 *
 * No dataset sorts: rows come out in the table's stored order. Why:
 * - Redshift's `UNLOAD ... PARALLEL ON` writes one file per slice; an ORDER BY
 *   there sorts rows within the files, not across them, so it never promised a
 *   global order to begin with.
 * - Every table is stored in its sort-key order — (supplier_id, sku) for
 *   inventory and products, (supplier_id, created_at) for reviews; the local
 *   seed inserts rows in that order. Without an ORDER BY, DuckDB
 *   (`preserve_insertion_order`, on by default) writes rows in that order, so a
 *   supplier's export still comes out sorted and the same export gives the same bytes.
 * - A sort is the dearest part of an export and the one thing that needs
 *   memory: on 10M inventory rows (2 cores) `ORDER BY sku, warehouse` took COPY
 *   from 1.9 s to 3.1 s and DuckDB's peak memory from 310 MB to 1.1 GB. Without
 *   sorts every dataset streams within a 48MB DuckDB memory limit, which keeps
 *   the worker's memory flat from 1M to 10M rows.
 */
export function renderSelect(q: {
  table: string;
  columns: readonly DatasetColumn[];
  scope: SupplierScope;
  where: readonly string[];
}): string {
  const names = q.columns.map((c) => c.name);
  for (const name of [q.table, ...names]) {
    if (!IDENTIFIER.test(name)) throw new Error(`not a plain identifier: ${JSON.stringify(name)}`);
  }
  if (names.includes("supplier_id")) throw new Error("datasets never export supplier_id");
  const scope = scopeCondition(q.scope);
  const conditions = [...(scope ? [scope] : []), ...q.where];
  return [
    `SELECT ${names.join(", ")}`,
    `FROM ${q.table}`,
    ...(conditions.length ? [`WHERE ${conditions.join("\n  AND ")}`] : []),
  ].join("\n");
}

/**
 * Wraps a dataset so that `buildQuery` re-validates its params and resolves
 * the chosen columns before rendering: the schema and the catalog are the gate
 * to SQL even for a caller that forgot them.
 */
export function defineDataset<P>(def: DatasetSpec<P>): DatasetDefinition<P> {
  return {
    ...def,
    buildQuery(params: P, scope: SupplierScope, columns?: readonly string[] | null, options: QueryOptions = {}): string {
      const selected = selectColumns(def.columns, columns);
      const sql = def.buildQuery(def.paramsSchema.parse(params), scope, selected);
      return options.decimalMark === "," ? withDecimalComma(sql, selected) : sql;
    },
  };
}

const NUMERIC_TYPE = /^(?:decimal|numeric|real|float|double)\b/i;

/**
 * The query with its numeric columns as text with a comma decimal mark, the
 * other columns as they are, in the same order. Done in the SQL rather than
 * by the warehouse's writer: Redshift's UNLOAD has no decimal-separator option
 * (DuckDB's COPY has), and the same SQL on both warehouses (and in the
 * preview) writes the same "12,50". A projection over the query keeps its row
 * order and leaves its WHERE clause reading the columns, not the text.
 */
function withDecimalComma(sql: string, columns: readonly DatasetColumn[]): string {
  if (!columns.some((c) => NUMERIC_TYPE.test(c.type))) return sql;
  for (const c of columns) if (!IDENTIFIER.test(c.name)) throw new Error(`not a plain identifier: ${JSON.stringify(c.name)}`);
  const list = columns.map((c) => (NUMERIC_TYPE.test(c.type) ? `REPLACE(CAST(${c.name} AS VARCHAR), '.', ',') AS ${c.name}` : c.name));
  return `SELECT ${list.join(", ")}\nFROM (\n${sql}\n) AS q`;
}

/* ------------------------------------------------------------ shared fields */

/**
 * Error map of every params object: the messages are shown next to the form,
 * so they speak of filters, not of zod. (`zodDetails` appends the key names.)
 */
export const paramsObjectError = (issue: { code: string }): string | undefined => {
  if (issue.code === "unrecognized_keys") return "This dataset has no such filter";
  if (issue.code === "invalid_type") return "Filters must be an object of filter names and values.";
  return undefined;
};

const SKU_MESSAGE = "A SKU is 1 to 64 letters, digits, - or _, starting with a letter or digit.";

/** One SKU. Either case is accepted; builders compare in upper case, the warehouse's spelling. */
export const ZSku = z.string({ error: SKU_MESSAGE }).regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, SKU_MESSAGE);

/** A list of 1 to 1000 SKUs (`sku IN (...)`). */
export const ZSkuList = z
  .array(ZSku, { error: "List SKUs as an array of text values." })
  .min(1, "List at least one SKU, or leave the filter out.")
  .max(1000, "List at most 1000 SKUs; for more, use a SKU prefix or export everything.");

const PREFIX_MESSAGE = "A SKU prefix is 1 to 32 letters, digits, - or _, starting with a letter or digit.";

/** The start of a SKU. */
export const ZSkuPrefix = z.string({ error: PREFIX_MESSAGE }).regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, PREFIX_MESSAGE);

const DATE_MESSAGE = "Use a date like 2025-01-31 or a date-time like 2025-01-31T08:00:00Z.";

/** The last instant both warehouses can hold in a timestamp literal (`sqlTimestamp` renders years 0001..9999). */
const LAST_TIMESTAMP_MS = Date.parse("9999-12-31T23:59:59.999Z");
const FIRST_TIMESTAMP_MS = Date.parse("0001-01-01T00:00:00.000Z");

/**
 * An ISO 8601 date or date-time that exists (no 2025-02-30); a date-time without offset is UTC.
 * In UTC it must fall in the years 0001..9999, which is what can be rendered: a date-time such as
 * 9999-12-31T23:00:00-05:00 is in the year 10000 in UTC and is refused here, with a 400, rather
 * than failing the query later (issue 12, finding 9).
 */
export const ZIsoDateOrDateTime = z
  .string({ error: DATE_MESSAGE })
  .max(40, DATE_MESSAGE)
  .refine((s) => parseIsoTimestamp(s) !== null, DATE_MESSAGE)
  .refine((s) => {
    const t = parseIsoTimestamp(s)?.getTime();
    return t === undefined || (t >= FIRST_TIMESTAMP_MS && t <= LAST_TIMESTAMP_MS);
  }, "Use a date between 0001-01-01 and 9999-12-31 (UTC).");

/** Upper-cased SKUs, as stored in the warehouse. */
export function upperSkus(skus: readonly string[]): string[] {
  return skus.map((s) => s.toUpperCase());
}

/** `column >= <from>`: a date means from the start of that day (UTC). */
export function lowerBoundCondition(column: string, from: string): string {
  return `${column} >= ${sqlTimestamp(from)}`;
}

/**
 * `column <= <to>`, where a date alone means the whole day: `column < <next day>`.
 * People who pick "to 2025-01-31" expect rows of the 31st.
 */
export function upperBoundCondition(column: string, to: string): string {
  if (isDateOnly(to)) {
    const next = parseIsoTimestamp(to)!.getTime() + 86_400_000;
    // The day after 9999-12-31 has no literal: "up to the end of 9999-12-31" is `<=` its last instant.
    if (next > LAST_TIMESTAMP_MS) return `${column} <= ${sqlTimestamp(new Date(LAST_TIMESTAMP_MS))}`;
    return `${column} < ${sqlTimestamp(new Date(next))}`;
  }
  return `${column} <= ${sqlTimestamp(to)}`;
}

/** `column < <before>`: the exclusive end of an incremental window (a row stamped exactly then belongs to the next one). */
export function exclusiveUpperBoundCondition(column: string, before: string): string {
  return `${column} < ${sqlTimestamp(before)}`;
}

/** True when the range `from..to` is not empty, with `to` read as `upperBoundCondition` reads it. */
export function isOrderedRange(from: string, to: string): boolean {
  const start = parseIsoTimestamp(from);
  const end = parseIsoTimestamp(to);
  if (!start || !end) return true; // the field schemas report malformed dates themselves
  const endInclusive = isDateOnly(to) ? end.getTime() + 86_400_000 - 1 : end.getTime();
  return start.getTime() <= endInclusive;
}
