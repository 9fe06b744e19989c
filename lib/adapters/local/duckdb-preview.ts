/**
 * The local warehouse's preview: a query's first rows and, within a time
 * budget, its exact row count, on a connection of the warehouse's read-only
 * DuckDB instance (the same sandbox settings as unloads). Rows come out in the
 * order COPY writes them: no dataset sorts, and DuckDB keeps insertion order,
 * so the preview's rows are the export's first rows.
 */
import { StatementType, type DuckDBConnection } from "@duckdb/node-api";
import { BackendError } from "@/lib/core/errors";
import type { QueryPreview } from "@/lib/ports";

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

export async function previewOnDuckDb(con: DuckDBConnection, sql: string, opts: { limit: number; budgetMs: number }): Promise<QueryPreview> {
  if (!Number.isInteger(opts.limit) || opts.limit < 0 || opts.limit > 1000) throw new RangeError("limit must be 0..1000");
  const deadline = Date.now() + opts.budgetMs;
  let columns: { name: string; type: string }[];
  try {
    const extracted = await con.extractStatements(sql);
    if (extracted.count !== 1) throw new BackendError("invalid_query", `Expected exactly one SELECT statement, got ${extracted.count}.`, false);
    const prepared = await extracted.prepare(0);
    try {
      if (prepared.statementType !== StatementType.SELECT) throw new BackendError("invalid_query", "Only a SELECT statement can be previewed.", false);
      columns = Array.from({ length: prepared.columnCount }, (_, i) => ({ name: prepared.columnName(i), type: prepared.columnType(i).toString().toLowerCase() }));
    } finally {
      prepared.destroySync();
    }
  } catch (err) {
    if (err instanceof BackendError) throw err;
    throw new BackendError("query_failed", err instanceof Error ? err.message : String(err), false, { cause: err });
  }
  const body = sql.replace(/;\s*$/, "");
  // As text, the way the CSV writer renders them (decimals keep their scale, timestamps have no "T").
  const select = columns.map((c) => `CAST(${quoteIdent(c.name)} AS VARCHAR)`).join(", ");
  const rows = await bounded(con, deadline, () => con.runAndReadAll(`SELECT ${select} FROM (\n${body}\n) AS q LIMIT ${opts.limit}`));
  if (rows === "timeout") throw new BackendError("preview_timeout", "The warehouse did not return the first rows in time.", true);
  const counted = await bounded(con, deadline, () => con.runAndReadAll(`SELECT count(*) FROM (\n${body}\n) AS q`));
  return {
    columns,
    rows: rows.getRowsJS().map((r) => r.map((v) => (v === null ? null : String(v)))),
    count: counted === "timeout" ? { kind: "unknown" } : { kind: "exact", rows: Number(counted.getRowsJS()[0][0]) },
  };
}

/** Runs `fn`, interrupting the connection at `deadline`; "timeout" when it was interrupted. */
async function bounded<T>(con: DuckDBConnection, deadline: number, fn: () => Promise<T>): Promise<T | "timeout"> {
  const left = deadline - Date.now();
  if (left <= 0) return "timeout";
  let fired = false;
  const timer = setTimeout(() => {
    fired = true;
    con.interrupt();
  }, left);
  try {
    return await fn();
  } catch (err) {
    if (fired) return "timeout";
    throw new BackendError("query_failed", err instanceof Error ? err.message : String(err), false, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}
