/**
 * The Redshift warehouse's preview, on the Data API: two statements at once,
 * `SELECT ... LIMIT n` for the first rows and `SELECT count(*)` for the
 * count, polled until a time budget runs out. A count still running then is
 * cancelled and reported as unknown; rows still running are a retryable
 * error. Redshift gives no order without ORDER BY (and neither does UNLOAD
 * PARALLEL ON), so on Redshift the preview's rows are *some* rows of the
 * export, not necessarily its first ones.
 */
import {
  CancelStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  type ExecuteStatementCommandInput,
  type Field,
  type RedshiftDataClient,
} from "@aws-sdk/client-redshift-data";
import { BackendError } from "@/lib/core/errors";
import type { QueryPreview } from "@/lib/ports";
import { awsErrorMessage, isTransientAwsError } from "./aws-errors";

type Target = Pick<ExecuteStatementCommandInput, "Database" | "ClusterIdentifier" | "DbUser" | "WorkgroupName" | "SecretArn">;


export async function previewOnRedshift(
  client: RedshiftDataClient,
  target: Target,
  sql: string,
  opts: { limit: number; budgetMs: number; pollMs?: number },
): Promise<QueryPreview> {
  if (!Number.isInteger(opts.limit) || opts.limit < 0 || opts.limit > 1000) throw new RangeError("limit must be 0..1000");
  const query = sql.trim().replace(/;\s*$/, "");
  if (!/^(?:SELECT|WITH)\b/i.test(query)) throw new BackendError("invalid_query", "Only a SELECT statement can be previewed.", false);
  const deadline = Date.now() + opts.budgetMs;
  const run = async (text: string, name: string) => {
    try {
      const out = await client.send(new ExecuteStatementCommand({ ...target, Sql: text, StatementName: name, WithEvent: false }));
      if (!out.Id) throw new Error("Redshift ExecuteStatement returned no statement id");
      return out.Id;
    } catch (err) {
      throw new BackendError("warehouse_unavailable", `Redshift refused the preview: ${awsErrorMessage(err)}`, isTransientAwsError(err), { cause: err });
    }
  };
  const rowsId = await run(`SELECT * FROM (\n${query}\n) AS q LIMIT ${opts.limit}`, "export-preview-rows");
  const countId = await run(`SELECT count(*) FROM (\n${query}\n) AS q`, "export-preview-count");
  const rowsDone = await waitFor(client, rowsId, deadline, opts.pollMs ?? 100);
  if (rowsDone !== "finished") {
    await Promise.all([rowsId, countId].map((id) => client.send(new CancelStatementCommand({ Id: id })).catch(() => undefined)));
    if (rowsDone === "timeout") throw new BackendError("preview_timeout", "The warehouse did not return the first rows in time.", true);
    throw new BackendError("query_failed", rowsDone.error, false);
  }
  const result = await client.send(new GetStatementResultCommand({ Id: rowsId }));
  const columns = (result.ColumnMetadata ?? []).map((c) => ({ name: c.name ?? c.label ?? "", type: (c.typeName ?? "").toLowerCase() }));
  const rows = (result.Records ?? []).map((r) => r.map(fieldText));
  const countDone = await waitFor(client, countId, deadline, opts.pollMs ?? 100);
  if (countDone !== "finished") {
    await client.send(new CancelStatementCommand({ Id: countId })).catch(() => undefined);
    return { columns, rows, count: { kind: "unknown" } };
  }
  const counted = await client.send(new GetStatementResultCommand({ Id: countId }));
  const n = Number(fieldText(counted.Records?.[0]?.[0] ?? { isNull: true }));
  return { columns, rows, count: Number.isFinite(n) ? { kind: "exact", rows: n } : { kind: "unknown" } };
}

async function waitFor(client: RedshiftDataClient, id: string, deadline: number, pollMs: number): Promise<"finished" | "timeout" | { error: string }> {
  for (;;) {
    const out = await client.send(new DescribeStatementCommand({ Id: id }));
    if (out.Status === "FINISHED") return "finished";
    if (out.Status === "FAILED" || out.Status === "ABORTED") return { error: out.Error ?? `The preview statement ${out.Status.toLowerCase()}.` };
    if (Date.now() >= deadline) return "timeout";
    await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(0, deadline - Date.now()))));
  }
}

/** A Data API field as text, the way the CSV unload writes it; null for NULL. */
function fieldText(f: Field): string | null {
  if (f.isNull) return null;
  if (f.stringValue !== undefined) return f.stringValue;
  if (f.longValue !== undefined) return String(f.longValue);
  if (f.doubleValue !== undefined) return String(f.doubleValue);
  if (f.booleanValue !== undefined) return f.booleanValue ? "t" : "f";
  return null;
}

