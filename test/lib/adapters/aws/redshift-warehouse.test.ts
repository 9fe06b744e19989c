/**
 * The Redshift Data API warehouse against a mocked client (aws-sdk-client-mock):
 * the statement it renders, provisioned vs serverless, secret vs database
 * user, every DescribeStatement status, manifests, cancel; and the UNLOAD
 * rendering fed hostile values, checked with a SQL lexer and with DuckDB.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  CancelStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  RedshiftDataClient,
  type DescribeStatementCommandOutput,
} from "@aws-sdk/client-redshift-data";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DiskObjectStore } from "@/lib/adapters/local/disk-object-store";
import { RedshiftWarehouse, renderUnload, type RedshiftTarget } from "@/lib/adapters/aws/redshift-warehouse";
import { getDataset } from "@/lib/datasets/catalog";
import { InvalidLiteralError, quoteLiteral } from "@/lib/datasets/sql";
import { BackendError } from "@/lib/core/errors";
import { parseUnload, SqlLexError, tokenize } from "@/test/support/redshift-sql";

const ROLE = "arn:aws:iam::123456789012:role/RedshiftUnload";
/** A Data API statement id. */
const ST = "5b1c7a3e-9d2f-4c1a-8e7b-0123456789ab";
const BUCKET = "pep-unload-test";
const PREFIX = "unload/exp_0000000000aaaaaaaaaaaa/";
const cluster: RedshiftTarget = { kind: "cluster", clusterIdentifier: "acme-dw", database: "dev", secretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rs-AbCdEf" };

function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $fault: "client", $metadata: { httpStatusCode: 400 } });
}

const client = new RedshiftDataClient({ region: "eu-west-1", credentials: { accessKeyId: "x", secretAccessKey: "y" } });
const rs = mockClient(client);
let storeDir: string;
let unloadStore: DiskObjectStore;

beforeAll(async () => {
  storeDir = await fs.mkdtemp(path.join(os.tmpdir(), "pep-rs-unit-"));
  unloadStore = new DiskObjectStore({ root: storeDir, signingSecret: "0123456789abcdef0123456789abcdef", publicBaseUrl: "http://localhost:3000" });
});
afterAll(async () => {
  await fs.rm(storeDir, { recursive: true, force: true });
});
beforeEach(() => {
  rs.reset();
});

function warehouse(target: RedshiftTarget = cluster, maxFileSizeMb = 256): RedshiftWarehouse {
  return new RedshiftWarehouse({ client, target, iamRoleArn: ROLE, unloadBucket: BUCKET, unloadStore, maxFileSizeMb });
}

const inventorySql = () => getDataset("product_inventory")!.buildQuery({ warehouse: "Amsterdam DC", lowStockOnly: true }, { kind: "supplier", supplierId: "sup_rose" });

describe("submitUnload", () => {
  it("sends one UNLOAD of the query to the export's prefix, as CSV with a header, manifest and size cap", async () => {
    rs.on(ExecuteStatementCommand).resolves({ Id: "st-1" });
    const sql = inventorySql();
    expect(await warehouse(cluster, 512).submitUnload({ exportId: "exp_1", sql, format: "csv", keyPrefix: PREFIX })).toEqual({ statementId: "st-1" });
    const input = rs.commandCalls(ExecuteStatementCommand)[0]!.args[0].input;
    const parsed = parseUnload(input.Sql!);
    expect(parsed.query).toBe(sql);
    expect(parsed).toMatchObject({ bucket: BUCKET, keyPrefix: PREFIX, iamRole: ROLE });
    expect(parsed.options).toEqual(["FORMAT CSV", "HEADER", "GZIP", "MANIFEST VERBOSE", "ALLOWOVERWRITE", "PARALLEL ON", "MAXFILESIZE 512 MB"]);
    expect(input.StatementName).toBe("export-exp_1");
    expect(input.WithEvent).toBe(false);
  });

  it("renders Parquet without HEADER or any option Redshift refuses with it", async () => {
    rs.on(ExecuteStatementCommand).resolves({ Id: "st-2" });
    await warehouse().submitUnload({ exportId: "exp_1", sql: inventorySql(), format: "parquet", keyPrefix: PREFIX });
    const { options } = parseUnload(rs.commandCalls(ExecuteStatementCommand)[0]!.args[0].input.Sql!);
    expect(options).toEqual(["FORMAT PARQUET", "MANIFEST VERBOSE", "ALLOWOVERWRITE", "PARALLEL ON", "MAXFILESIZE 256 MB"]);
  });

  it("never combines options Redshift forbids together", () => {
    const forbidden: Record<string, string[]> = {
      "FORMAT PARQUET": ["HEADER", "DELIMITER", "FIXEDWIDTH", "ADDQUOTES", "ESCAPE", "NULL", "GZIP", "BZIP2", "ZSTD"],
      "FORMAT CSV": ["FIXEDWIDTH", "ADDQUOTES", "ESCAPE"],
      "FORMAT JSON": ["HEADER", "DELIMITER", "FIXEDWIDTH", "ADDQUOTES", "ESCAPE", "NULL"],
      HEADER: ["FIXEDWIDTH"],
    };
    const cases = [
      { format: "csv" },
      { format: "csv", delimiter: ";" },
      { format: "csv", delimiter: "\t" },
      { format: "jsonl" },
      { format: "parquet" },
    ] as const;
    for (const c of cases) {
      const { options } = parseUnload(renderUnload({ query: "SELECT 1 AS x", ...c, bucket: BUCKET, keyPrefix: PREFIX, iamRoleArn: ROLE, maxFileSizeMb: 5 }));
      const words = options.flatMap((o) => o.split(" "));
      for (const [option, refused] of Object.entries(forbidden)) {
        if (!options.some((o) => o === option || o.startsWith(`${option} `))) continue;
        for (const r of refused) expect(words, `${option} with ${r}`).not.toContain(r);
      }
    }
  });

  it("renders the CSV delimiter as a literal and JSON Lines as FORMAT JSON", () => {
    const render = (extra: object) => parseUnload(renderUnload({ query: "SELECT 1 AS x", format: "csv", bucket: BUCKET, keyPrefix: PREFIX, iamRoleArn: ROLE, maxFileSizeMb: 5, ...extra }));
    expect(render({}).options.slice(0, 2)).toEqual(["FORMAT CSV", "HEADER"]);
    expect(render({ delimiter: ";" })).toMatchObject({ delimiter: ";", options: expect.arrayContaining(["FORMAT CSV", "DELIMITER AS ';'", "HEADER"]) });
    expect(render({ delimiter: "\t" }).delimiter).toBe("\t");
    expect(render({ format: "jsonl" }).options[0]).toBe("FORMAT JSON");
    expect(() => render({ delimiter: "'" })).toThrow(/not a CSV delimiter/);
  });

  it("carries a decimal-comma query (its quotes doubled) into the UNLOAD literal unchanged", () => {
    const query = getDataset("product_inventory")!.buildQuery({}, { kind: "supplier", supplierId: "sup_rose" }, ["sku", "unit_cost"], { decimalMark: "," });
    expect(query).toContain("REPLACE(CAST(unit_cost AS VARCHAR), '.', ',') AS unit_cost");
    const parsed = parseUnload(renderUnload({ query, format: "csv", delimiter: ";", bucket: BUCKET, keyPrefix: PREFIX, iamRoleArn: ROLE, maxFileSizeMb: 5 }));
    expect(parsed.query).toBe(query);
    expect(parsed.delimiter).toBe(";");
  });

  it.each([
    ["provisioned, Secrets Manager secret", cluster, { ClusterIdentifier: "acme-dw", Database: "dev", SecretArn: cluster.secretArn }, ["DbUser", "WorkgroupName"]],
    [
      "provisioned, database user",
      { kind: "cluster", clusterIdentifier: "acme-dw", database: "dev", dbUser: "exporter" } as RedshiftTarget,
      { ClusterIdentifier: "acme-dw", Database: "dev", DbUser: "exporter" },
      ["SecretArn", "WorkgroupName"],
    ],
    [
      "serverless, Secrets Manager secret",
      { kind: "workgroup", workgroupName: "acme-wg", database: "dev", secretArn: "arn:aws:secretsmanager:eu-west-1:1:secret:s" } as RedshiftTarget,
      { WorkgroupName: "acme-wg", Database: "dev", SecretArn: "arn:aws:secretsmanager:eu-west-1:1:secret:s" },
      ["ClusterIdentifier", "DbUser"],
    ],
    [
      "serverless, IAM identity",
      { kind: "workgroup", workgroupName: "acme-wg", database: "dev" } as RedshiftTarget,
      { WorkgroupName: "acme-wg", Database: "dev" },
      ["ClusterIdentifier", "DbUser", "SecretArn"],
    ],
  ])("targets %s", async (_name, target, expected, absent) => {
    rs.on(ExecuteStatementCommand).resolves({ Id: "st-3" });
    await warehouse(target).submitUnload({ exportId: "exp_1", sql: "SELECT 1 AS x", format: "csv", keyPrefix: PREFIX });
    const input = rs.commandCalls(ExecuteStatementCommand)[0]!.args[0].input as unknown as Record<string, unknown>;
    expect(input).toMatchObject(expected);
    for (const key of absent) expect(input[key]).toBeUndefined();
  });

  it("refuses configurations Redshift would refuse", () => {
    const make = (target: RedshiftTarget, over: Partial<{ iamRoleArn: string; maxFileSizeMb: number }> = {}) =>
      new RedshiftWarehouse({ client, target, iamRoleArn: over.iamRoleArn ?? ROLE, unloadBucket: BUCKET, unloadStore, maxFileSizeMb: over.maxFileSizeMb ?? 256 });
    expect(() => make({ kind: "cluster", clusterIdentifier: "c", database: "d" })).toThrow(/exactly one of secretArn or dbUser/);
    expect(() => make({ kind: "cluster", clusterIdentifier: "c", database: "d", secretArn: "s", dbUser: "u" })).toThrow(/exactly one/);
    expect(() => make({ kind: "workgroup", workgroupName: "", database: "d" })).toThrow(/workgroupName/);
    expect(() => make(cluster, { iamRoleArn: "role/x' --" })).toThrow(/IAM role ARN/);
    expect(() => make(cluster, { maxFileSizeMb: 4 })).toThrow(RangeError);
    expect(() => make(cluster, { maxFileSizeMb: 6201 })).toThrow(RangeError);
  });

  it.each([
    ["ValidationException", false],
    ["ResourceNotFoundException", false],
    ["ActiveStatementsExceededException", true],
    ["ThrottlingException", true],
    ["DatabaseConnectionException", true],
  ])("maps a refusal %s to a BackendError (retryable: %s)", async (name, retryable) => {
    rs.on(ExecuteStatementCommand).rejects(awsError(name, `${name} happened`));
    const err = await warehouse().submitUnload({ exportId: "exp_1", sql: "SELECT 1 AS x", format: "csv", keyPrefix: PREFIX }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).retryable).toBe(retryable);
    expect((err as BackendError).message).toContain(`${name} happened`);
  });

  it("refuses a query it cannot render, without sending anything", async () => {
    for (const sql of ["SELECT 'a\\b' AS x", "DELETE FROM rsdataapi.suppliers", "  "]) {
      const err = await warehouse().submitUnload({ exportId: "exp_1", sql, format: "csv", keyPrefix: PREFIX }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BackendError);
      expect((err as BackendError).retryable).toBe(false);
    }
    for (const keyPrefix of ["unload/exp_1", "/abs/", "a/../b/", "a//b/"]) {
      const err = await warehouse().submitUnload({ exportId: "exp_1", sql: "SELECT 1", format: "csv", keyPrefix }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BackendError);
    }
    expect(rs.commandCalls(ExecuteStatementCommand)).toHaveLength(0);
  });
});

describe("describe", () => {
  const statement = (over: Partial<DescribeStatementCommandOutput>) => ({
    Id: ST,
    QueryString: renderUnload({ query: inventorySql(), format: "csv", bucket: BUCKET, keyPrefix: PREFIX, iamRoleArn: ROLE, maxFileSizeMb: 256 }),
    ...over,
  });

  afterEach(async () => {
    await unloadStore.deletePrefix("unload/");
  });

  it.each(["SUBMITTED", "PICKED", "STARTED"] as const)("reports %s as running", async (Status) => {
    rs.on(DescribeStatementCommand, { Id: ST }).resolves(statement({ Status }));
    expect(await warehouse().describe(ST, PREFIX)).toEqual({ state: "running" });
  });

  it("reports FAILED with Redshift's error text, not retryable for a bad query", async () => {
    rs.on(DescribeStatementCommand).resolves(statement({ Status: "FAILED", Error: 'ERROR: column "qty" does not exist' }));
    expect(await warehouse().describe(ST, PREFIX)).toEqual({ state: "failed", message: 'ERROR: column "qty" does not exist', retryable: false });
  });

  it("reports FAILED as retryable when the error is a transient one", async () => {
    rs.on(DescribeStatementCommand).resolves(statement({ Status: "FAILED", Error: "ERROR: 1023 DETAIL: Serializable isolation violation on table - 100" }));
    expect(await warehouse().describe(ST, PREFIX)).toMatchObject({ state: "failed", retryable: true });
  });

  it("reports ABORTED as aborted", async () => {
    rs.on(DescribeStatementCommand).resolves(statement({ Status: "ABORTED" }));
    expect(await warehouse().describe(ST, PREFIX)).toEqual({ state: "aborted" });
  });

  it("reports a statement Redshift no longer knows as a retryable failure", async () => {
    rs.on(DescribeStatementCommand).rejects(awsError("ResourceNotFoundException", "Query does not exist."));
    expect(await warehouse().describe(ST, PREFIX)).toMatchObject({ state: "failed", retryable: true, message: expect.stringContaining(ST) });
  });

  it("reports an id that is not a Data API statement id as unknown, without asking", async () => {
    expect(await warehouse().describe("duckdb.x.123", PREFIX)).toMatchObject({ state: "failed", retryable: true });
    await expect(warehouse().cancel("not-an-id")).resolves.toBeUndefined();
    expect(rs.calls()).toHaveLength(0);
  });

  it("passes other Data API faults on as BackendErrors, retryable when transient", async () => {
    rs.on(DescribeStatementCommand).rejects(Object.assign(awsError("ThrottlingException", "Rate exceeded"), { $retryable: { throttling: true } }));
    const err = await warehouse().describe(ST, PREFIX).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).retryable).toBe(true);
    rs.on(DescribeStatementCommand).rejects(awsError("AccessDeniedException", "no"));
    expect(((await warehouse().describe(ST, PREFIX).catch((e: unknown) => e)) as BackendError).retryable).toBe(false);
  });

  it("reads a FINISHED statement's manifest: part keys, row counts and sizes", async () => {
    await unloadStore.put(
      `${PREFIX}manifest`,
      Buffer.from(
        JSON.stringify({
          entries: [
            { url: `s3://${BUCKET}/${PREFIX}0000_part_00`, meta: { content_length: 1200, record_count: 10 } },
            { url: `s3://${BUCKET}/${PREFIX}0001_part_00`, meta: { content_length: 800, record_count: 7 } },
          ],
          schema: { elements: [{ name: "sku", type: { base: "character varying", max_length: 64 } }] },
          meta: { content_length: 2000, record_count: 17 },
          author: { name: "Amazon Redshift", version: "1.0.0" },
        }),
      ),
    );
    rs.on(DescribeStatementCommand).resolves(statement({ Status: "FINISHED", ResultRows: 17 }));
    expect(await warehouse().describe(ST, PREFIX)).toEqual({
      state: "finished",
      manifest: {
        entries: [
          { key: `${PREFIX}0000_part_00`, rows: 10, bytes: 1200 },
          { key: `${PREFIX}0001_part_00`, rows: 7, bytes: 800 },
        ],
        rows: 17,
        bytes: 2000,
      },
    });
  });

  it("refuses a manifest that points outside the statement's prefix", async () => {
    for (const url of [`s3://other-bucket/${PREFIX}0000_part_00`, `s3://${BUCKET}/archives/sup_tulip/exp_2.zip`, `s3://${BUCKET}/${PREFIX}../x`]) {
      await unloadStore.put(`${PREFIX}manifest`, Buffer.from(JSON.stringify({ entries: [{ url, meta: { content_length: 1, record_count: 1 } }] })));
      rs.on(DescribeStatementCommand).resolves(statement({ Status: "FINISHED" }));
      expect(await warehouse().describe(ST, PREFIX)).toMatchObject({ state: "failed", retryable: false });
    }
  });

  it("reports a missing manifest as retryable (the query runs again) and a malformed one as a failure", async () => {
    rs.on(DescribeStatementCommand).resolves(statement({ Status: "FINISHED" }));
    expect(await warehouse().describe(ST, PREFIX)).toMatchObject({ state: "failed", retryable: true, message: expect.stringContaining("missing") });
    await unloadStore.put(`${PREFIX}manifest`, Buffer.from('{"entries": [{"url": 5}]}'));
    expect(await warehouse().describe(ST, PREFIX)).toMatchObject({ state: "failed", retryable: false, message: expect.stringContaining("malformed") });
  });

  it("finds the manifest under the prefix it is given, whatever DescribeStatement's QueryString says", async () => {
    await unloadStore.put(`${PREFIX}manifest`, Buffer.from(JSON.stringify({ entries: [{ url: `s3://${BUCKET}/${PREFIX}0000_part_00`, meta: { content_length: 5, record_count: 1 } }] })));
    // The Data API may mask the text, cut it short, or leave it out; none of it is read.
    for (const QueryString of ["****", "UNLOAD ('SELECT sku FROM product_inventory WHERE supplier_id = ''sup", "SELECT 1", undefined]) {
      rs.on(DescribeStatementCommand).resolves({ Id: ST, Status: "FINISHED", QueryString });
      expect(await warehouse().describe(ST, PREFIX)).toMatchObject({ state: "finished", manifest: { rows: 1, bytes: 5 } });
    }
  });

  it("refuses a key prefix that is not one, without reading anything", async () => {
    rs.on(DescribeStatementCommand).resolves(statement({ Status: "FINISHED" }));
    for (const bad of ["", "unload/x", "/unload/x/", "unload/../archives/", "unload//x/"]) {
      expect(await warehouse().describe(ST, bad)).toMatchObject({ state: "failed", retryable: false });
    }
  });
});

describe("cancel", () => {
  it("calls CancelStatement", async () => {
    rs.on(CancelStatementCommand).resolves({ Status: true });
    await warehouse().cancel(ST);
    expect(rs.commandCalls(CancelStatementCommand)[0]!.args[0].input).toEqual({ Id: ST });
  });

  it("leaves finished or forgotten statements alone", async () => {
    rs.on(CancelStatementCommand).rejects(awsError("ValidationException", "Could not cancel a query that is already in FINISHED state."));
    await expect(warehouse().cancel(ST)).resolves.toBeUndefined();
    rs.on(CancelStatementCommand).rejects(awsError("ResourceNotFoundException", "Query does not exist."));
    await expect(warehouse().cancel(ST)).resolves.toBeUndefined();
  });

  it("passes on other faults", async () => {
    rs.on(CancelStatementCommand).rejects(awsError("InternalServerException", "boom"));
    await expect(warehouse().cancel(ST)).rejects.toThrow("boom");
  });
});

describe("UNLOAD rendering with hostile values", () => {
  let db: DuckDBInstance;
  let con: DuckDBConnection;

  beforeAll(async () => {
    db = await DuckDBInstance.create(":memory:");
    con = await db.connect();
  });
  afterAll(() => {
    con.closeSync();
  });

  const hostile = [
    "it's",
    "''",
    "'); DROP TABLE rsdataapi.suppliers; --",
    "x' OR '1'='1",
    "$$; DROP TABLE t; $$",
    "$tag$ SELECT 1 $tag$",
    "-- comment",
    "/* comment */ 1",
    "/* unterminated",
    "*/ closing",
    "a; b; c",
    '"quoted" identifier',
    "Rosé 🌷 «crème» 花 \u200b zero-width",
    "line\nbreak\r\nand\ttab",
    "') TO 's3://evil/' IAM_ROLE 'arn:aws:iam::999999999999:role/x' --",
  ];

  const render = (value: string) =>
    renderUnload({ query: `SELECT ${quoteLiteral(value)} AS v`, format: "csv", bucket: BUCKET, keyPrefix: PREFIX, iamRoleArn: ROLE, maxFileSizeMb: 256 });

  it.each(hostile)("keeps %j inside one literal of one statement", async (value) => {
    const sql = render(value);
    // The whole UNLOAD lexes as one statement of the expected shape, target untouched.
    const parsed = parseUnload(sql);
    expect(parsed).toMatchObject({ bucket: BUCKET, keyPrefix: PREFIX, iamRole: ROLE });
    // The query inside is itself one statement whose only string literal is the value.
    expect(tokenize(parsed.query).filter((t) => t.kind === "string").map((t) => t.value)).toEqual([value]);
    expect((await con.extractStatements(parsed.query)).count).toBe(1);
    const rows = (await con.runAndReadAll(parsed.query)).getRows();
    expect(rows).toEqual([[value]]);
  });

  it.each(["back\\slash", "\\'; DROP TABLE t; --", "nul\0byte", "lone \ud800 surrogate"])("refuses %j rather than render it", (value) => {
    expect(() => render(value)).toThrow(InvalidLiteralError);
  });

  it("would catch a renderer that does not escape (the check can fail)", () => {
    const naive = (value: string) => `UNLOAD ('SELECT '${value}' AS v') TO 's3://${BUCKET}/${PREFIX}' IAM_ROLE '${ROLE}' FORMAT CSV`;
    expect(() => parseUnload(naive("'); DROP TABLE rsdataapi.suppliers; --"))).toThrow();
    expect(() => parseUnload(naive("x"))).toThrow();
    expect(() => tokenize("SELECT 'a\\'b'")).toThrow(SqlLexError);
  });
});
