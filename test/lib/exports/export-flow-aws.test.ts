/**
 * Whole exports in aws mode, on emulators: `POST /api/v1/exports` (the real
 * route, a real session) -> SQS -> the Lambda handler of workers/sqs.ts (fed
 * the received messages as an SQS event) -> "Redshift" (the fake Data API
 * over DuckDB) -> S3 -> DynamoDB -> SES; the zip is downloaded through the
 * presigned URL the download route redirects to, and its rows are compared
 * with a direct DuckDB query. Also: the dead-letter path (three failed
 * deliveries -> DLQ handler -> export failed, requester mailed) and the
 * long-poll runner of workers/runner.ts against SQS.
 *
 * The adapters come from `getDeps()` with EXPORT_BACKEND=aws, exactly as in
 * Lambda: nothing here builds them by hand.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { encode } from "next-auth/jwt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as downloadRoute from "@/app/api/v1/exports/[id]/download/route";
import * as exportsRoute from "@/app/api/v1/exports/route";
import { claimsFor, SESSION_MAX_AGE_SECONDS } from "@/lib/auth";
import { getDeps, type AppDeps } from "@/lib/config";
import { getDataset } from "@/lib/datasets/catalog";
import type { ExportRecord, ExportStatus } from "@/lib/exports/model";
import type { UserRecord } from "@/lib/ports";
import { createUser } from "@/lib/users/users";
import { handler as deadLetterHandler } from "@/workers/sqs-dlq";
import { handler } from "@/workers/sqs";
import { runWorker } from "@/workers/runner";
import { deliverBatch, startAwsBackend, type AwsBackend } from "@/test/support/aws-backend";

const BASE = "http://localhost:3000";
let backend: AwsBackend;
let deps: AppDeps;
let rose: UserRecord;
let tulip: UserRecord;

beforeAll(async () => {
  backend = await startAwsBackend({ rows: 4_000 });
  // What SST or a deployment sets; getDeps() reads it on first use, like a Lambda cold start.
  Object.assign(process.env, backend.env, {
    // Never block on a statement: submit, record its id, and poll with delayed messages.
    INLINE_WAIT_MS: "0",
    POLL_DELAY_SECONDS: "1",
    RETRY_BASE_SECONDS: "0",
  });
  deps = await getDeps();
  rose = await createUser(deps.users, { email: "rose@suppliers.test", password: "rose-password-123", role: "supplier", supplierId: "sup_rose", supplierName: "Rose Supply Co" });
  tulip = await createUser(deps.users, { email: "tulip@suppliers.test", password: "tulip-password-123", role: "supplier", supplierId: "sup_tulip", supplierName: "Tulip Traders" });
}, 120_000);

afterAll(async () => {
  await deps?.close();
  await backend?.stop();
});

async function cookieFor(user: UserRecord): Promise<string> {
  const token = await encode({ token: claimsFor(user, Math.floor(Date.now() / 1000)), secret: deps.config.authSecret, maxAge: SESSION_MAX_AGE_SECONDS });
  return `next-auth.session-token=${token}`;
}

async function requestExportAs(user: UserRecord, body: Record<string, unknown>): Promise<ExportRecord> {
  const exp = await postExport(user, body);
  return exp;
}

async function postExport(user: UserRecord, body: Record<string, unknown>): Promise<ExportRecord> {
  const res = await exportsRoute.POST(
    new Request(`${BASE}/api/v1/exports`, { method: "POST", headers: { cookie: await cookieFor(user), "content-type": "application/json" }, body: JSON.stringify(body) }),
    { params: Promise.resolve({}) },
  );
  const text = await res.text();
  expect(res.status, text).toBe(202);
  return (JSON.parse(text) as { export: ExportRecord }).export;
}

/** Plays Lambda's event source mapping against the queue (and the DLQ) until the export reaches `until`. */
async function runLambdaUntil(id: string, until: ExportStatus[], deadlineMs = 60_000): Promise<ExportRecord> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const rec = await deps.jobs.getExport(id);
    if (rec && until.includes(rec.status) && (await deps.queue.depth()) === 0 && (await deps.deadLetterQueue.depth()) === 0) return rec;
    if (Date.now() > deadline) throw new Error(`export ${id} is ${rec?.status}, not ${until.join("/")}, after ${deadlineMs} ms`);
    const delivered = await deliverBatch(backend.sqs, backend.queueUrl, handler);
    if (delivered === 0) await deliverBatch(backend.sqs, backend.deadLetterUrl, deadLetterHandler);
  }
}

/** Unzips the archive and compares its CSV rows with the dataset's query run directly on the warehouse. */
async function compareWithWarehouse(zip: Buffer, rec: ExportRecord): Promise<{ zipped: number; direct: number; differing: number; files: number }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "pep-aws-unzip-"));
  await fs.writeFile(path.join(dir, "a.zip"), zip);
  // Re-framed gzip parts must pass both readers: Info-ZIP's test and Python's CRC check of every entry.
  execFileSync("unzip", ["-tq", path.join(dir, "a.zip")]);
  execFileSync("python3", ["-c", "import sys, zipfile; assert zipfile.ZipFile(sys.argv[1]).testzip() is None", path.join(dir, "a.zip")]);
  execFileSync("unzip", ["-q", path.join(dir, "a.zip"), "-d", path.join(dir, "x")]);
  const files = (await fs.readdir(path.join(dir, "x"))).map((f) => path.join(dir, "x", f));
  for (const f of files) expect((await fs.readFile(f)).subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))).toBe(rec.bom);
  const dataset = getDataset(rec.dataset)!;
  const sql = dataset.buildQuery(dataset.paramsSchema.parse(rec.params), rec.supplierId ? { kind: "supplier", supplierId: rec.supplierId } : { kind: "all" });
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  await con.run(`ATTACH '${backend.dbPath}' AS wh (READ_ONLY); USE wh;`);
  const cols = dataset.columns.map((c) => `CAST("${c.name}" AS VARCHAR) AS "${c.name}"`).join(", ");
  const zipped = `SELECT ${cols} FROM read_csv([${files.map((f) => `'${f}'`).join(", ")}], header = true, all_varchar = true)`;
  const direct = `SELECT ${cols} FROM (${sql})`;
  const count = async (q: string) => Number((await con.runAndReadAll(`SELECT count(*) FROM (${q})`)).getRows()[0]![0]);
  const result = {
    zipped: await count(zipped),
    direct: await count(direct),
    differing: (await count(`${zipped} EXCEPT ALL ${direct}`)) + (await count(`${direct} EXCEPT ALL ${zipped}`)),
    files: files.length,
  };
  con.closeSync();
  db.closeSync();
  await fs.rm(dir, { recursive: true, force: true });
  return result;
}

describe("a whole export in aws mode", () => {
  it("API route -> SQS -> Lambda handler -> Redshift -> S3 -> DynamoDB -> SES, and the presigned zip holds the right rows", async () => {
    const requested = await requestExportAs(rose, { dataset: "product_inventory", params: { lowStockOnly: true }, format: "csv", bom: true, notify: true });
    expect(requested).toMatchObject({ status: "queued", supplierId: "sup_rose" });
    expect(await deps.queue.depth()).toBe(1);

    const done = await runLambdaUntil(requested.id, ["ready"]);
    expect(done).toMatchObject({ status: "ready", fileCount: 2, archiveKey: `archives/sup_rose/${requested.id}.zip` });
    expect(done.rowCount).toBeGreaterThan(0);
    expect(done.statementId).toBe([...backend.redshift.statements.keys()][0]);

    // The history came through DynamoDB, in order; the statement was polled, not waited for.
    const steps = await deps.jobs.listSteps(requested.id);
    expect(steps.map((s) => s.step)).toEqual(["requested", "queued", "started", "query_submitted", "query_finished", "archived", "ready", "notified"]);
    expect(steps.find((s) => s.step === "query_submitted")!.detail.statementId).toBe(done.statementId);

    // Redshift was sent the UNLOAD of this export's query.
    const sent = backend.redshift.statements.get(done.statementId!)!;
    expect(sent.input).toMatchObject({ ClusterIdentifier: "acme-dw", Database: "dev", SecretArn: backend.env.REDSHIFT_SECRET_ARN });
    expect(sent.sql).toContain(`TO 's3://${backend.unloadBucket}/unload/${requested.id}/'`);

    // Parts are gone once archived; the archive is in the archive bucket.
    expect(await deps.unloadStore.list(`unload/${requested.id}/`)).toEqual([]);
    expect((await deps.archiveStore.head(done.archiveKey!))?.bytes).toBe(done.archiveBytes);

    // One email, through SES, linking to the export's page (never to a signed URL).
    const mails = (await backend.ses.readStore()).filter((m) => m.destination.to.includes("rose@suppliers.test"));
    expect(mails).toHaveLength(1);
    expect(mails[0]!.from).toBe(backend.env.MAIL_FROM);
    expect(mails[0]!.body.text).toContain(`${BASE}/exports/${requested.id}`);
    expect(mails[0]!.body.text).not.toContain("X-Amz-Signature");
    expect(steps.find((s) => s.step === "notified")!.detail.messageId).toBe(mails[0]!.messageId);

    // The download route redirects to a presigned S3 URL; S3 (the emulator, signature checked) serves the zip.
    const res = await downloadRoute.GET(new Request(`${BASE}/api/v1/exports/${requested.id}/download`, { headers: { cookie: await cookieFor(rose) } }), {
      params: Promise.resolve({ id: requested.id }),
    });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get("location")!);
    expect(location.searchParams.get("X-Amz-Expires")).toBe(String(deps.settings.downloadUrlTtlSeconds));
    const download = await fetch(location);
    expect(download.status).toBe(200);
    expect(download.headers.get("content-disposition")).toMatch(new RegExp(`^attachment; filename="product_inventory-sup_rose-\\d{4}-\\d{2}-\\d{2}-${requested.id.slice(-6)}\\.zip"`));
    const zip = Buffer.from(await download.arrayBuffer());
    expect(createHash("sha256").update(zip).digest("hex")).toBe(done.sha256);

    const cmp = await compareWithWarehouse(zip, done);
    expect(cmp).toEqual({ zipped: done.rowCount, direct: done.rowCount, differing: 0, files: 2 });

    // Another supplier cannot get at it.
    const foreign = await downloadRoute.GET(new Request(`${BASE}/api/v1/exports/${requested.id}/download`, { headers: { cookie: await cookieFor(tulip) } }), {
      params: Promise.resolve({ id: requested.id }),
    });
    expect(foreign.status).toBe(404);
  });

  it("fails an export whose message reached the dead-letter queue after three deliveries, and mails the requester", async () => {
    await backend.ses.clearStore();
    // Redshift refuses every statement as over capacity: retryable, so each delivery gives up and retries.
    backend.redshift.refuseExecutes(Number.POSITIVE_INFINITY, "ActiveStatementsExceededException", "Active statements exceeded the allowed quota (200).");
    try {
      const requested = await requestExportAs(tulip, { dataset: "customer_reviews", params: {}, format: "csv", notify: true });
      const failed = await runLambdaUntil(requested.id, ["failed"]);
      expect(failed.errorCode).toBe("gave_up");
      expect(failed.errorMessage).toContain("Active statements exceeded");
      const steps = (await deps.jobs.listSteps(requested.id)).map((s) => s.step);
      expect(steps.filter((s) => s === "retrying")).toHaveLength(3);
      expect(steps.slice(-2)).toEqual(["failed", "notified"]);
      const mails = await backend.ses.readStore();
      expect(mails).toHaveLength(1);
      expect(mails[0]!.subject).toMatch(/failed/);
    } finally {
      backend.redshift.refuseExecutes(0);
    }
  });

  it("runs with the long-poll worker of workers/runner.ts against SQS, as a plain process would", async () => {
    const requested = await requestExportAs(tulip, { dataset: "product_detail", params: {}, format: "parquet", notify: false });
    const controller = new AbortController();
    const running = runWorker(deps, { concurrency: 1, signal: controller.signal, waitSeconds: 1, sweepIntervalMs: 0, graceMs: 5_000 });
    try {
      const deadline = Date.now() + 60_000;
      let rec = await deps.jobs.getExport(requested.id);
      while (rec?.status !== "ready") {
        expect(Date.now(), `export is ${rec?.status}`).toBeLessThan(deadline);
        await new Promise((r) => setTimeout(r, 100));
        rec = await deps.jobs.getExport(requested.id);
      }
      expect(rec).toMatchObject({ format: "parquet", fileCount: 2 });
      const deadlineEmpty = Date.now() + 10_000;
      while ((await deps.queue.depth()) !== 0) {
        expect(Date.now(), "queue drained").toBeLessThan(deadlineEmpty);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      controller.abort();
      await running;
    }
  });
});
