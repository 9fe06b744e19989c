/**
 * A whole AWS backend on emulators, for tests that run exports in aws mode:
 * dynalite, s3rver (behind the SigV4 gate), local-aws-sqs, aws-ses-v2-local
 * and the fake Redshift Data API over a seeded DuckDB warehouse, plus the
 * environment that points `EXPORT_BACKEND=aws` at them. Also emulates what
 * Lambda's SQS event source mapping does with a handler's answer.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { seedWarehouse } from "@/lib/adapters/local/seed-warehouse";
import type { SqsBatchResponse, SqsEvent } from "@/workers/sqs";
import { createBucket, createJobsTable, createQueuePair, REGION, S3_CREDENTIALS, s3ClientFor, startDynamo, startS3, startSes, startSqs } from "./emulators";
import { startFakeRedshift, type FakeRedshift } from "./fake-redshift";
import { sstResourceEnv } from "./sst-resources";

export const IAM_ROLE = "arn:aws:iam::123456789012:role/RedshiftUnload";

export interface AwsBackend {
  /** Environment variables for `loadConfig` with EXPORT_BACKEND=aws. */
  env: Record<string, string>;
  dbPath: string;
  queueUrl: string;
  deadLetterUrl: string;
  /** The delivery lane's queue and its dead-letter queue (5 receives). */
  deliveryQueueUrl: string;
  deliveryDeadLetterUrl: string;
  unloadBucket: string;
  sqs: SQSClient;
  redshift: FakeRedshift;
  ses: Awaited<ReturnType<typeof startSes>>;
  stop(): Promise<void>;
}

/** `dbPath`: a warehouse seeded before (the bench keeps one per size), used instead of seeding a fresh one. */
export async function startAwsBackend(opts: { rows: number; dbPath?: string }): Promise<AwsBackend> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "pep-aws-"));
  const dbPath = opts.dbPath ?? path.join(dir, "warehouse.duckdb");
  if (!opts.dbPath) await seedWarehouse({ dbPath, rows: opts.rows });
  const [dynamo, s3, sqs, ses] = await Promise.all([startDynamo(), startS3(), startSqs(), startSes()]);
  const table = await createJobsTable(dynamo.client);
  const unload = await createBucket(s3.client, "pep-unload");
  const archive = await createBucket(s3.client, "pep-archive");
  const queues = await createQueuePair(sqs.client);
  const deliveries = await createQueuePair(sqs.client, { maxReceives: 5 });
  const redshift = await startFakeRedshift({
    dbPath,
    s3: s3ClientFor(s3.rawEndpoint),
    bucket: unload.name,
    iamRoleArn: IAM_ROLE,
    database: "dev",
    target: { clusterIdentifier: "acme-dw" },
    slices: 2,
  });
  const env: Record<string, string> = {
    EXPORT_BACKEND: "aws",
    // SST's linked resources as a process started by SST sees them (`Resource.AuthSecret.value`):
    // in aws mode the secret never comes from AUTH_SECRET.
    ...sstResourceEnv({ AuthSecret: { value: "aws-test-secret-aws-test-secret-aws-test" } }),
    PUBLIC_URL: "http://localhost:3000",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    DATA_DIR: path.join(dir, "data"),
    MAIL_FROM: "Acme Flowers Exports <exports@acmeflowers.test>",
    AWS_REGION: REGION,
    // s3rver accepts only its own key; the other emulators accept any.
    AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ENDPOINT_URL_SQS: sqs.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_SES: ses.endpoint,
    AWS_ENDPOINT_URL_REDSHIFT_DATA: redshift.endpoint,
    AWS_S3_FORCE_PATH_STYLE: "true",
    EXPORT_QUEUE_URL: queues.queueUrl,
    EXPORT_DLQ_URL: queues.deadLetterUrl,
    DELIVERY_QUEUE_URL: deliveries.queueUrl,
    DELIVERY_DLQ_URL: deliveries.deadLetterUrl,
    UNLOAD_BUCKET: unload.name,
    ARCHIVE_BUCKET: archive.name,
    JOBS_TABLE: table.name,
    REDSHIFT_CLUSTER_ID: "acme-dw",
    REDSHIFT_DATABASE: "dev",
    REDSHIFT_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:redshift-AbCdEf",
    REDSHIFT_IAM_ROLE_ARN: IAM_ROLE,
  };
  return {
    env,
    dbPath,
    queueUrl: queues.queueUrl,
    deadLetterUrl: queues.deadLetterUrl,
    deliveryQueueUrl: deliveries.queueUrl,
    deliveryDeadLetterUrl: deliveries.deadLetterUrl,
    unloadBucket: unload.name,
    sqs: sqs.client,
    redshift,
    ses,
    stop: async () => {
      await redshift.stop();
      await Promise.all([dynamo.stop(), s3.stop(), sqs.stop(), ses.stop()]);
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * One poll of Lambda's SQS event source mapping: receives up to `batchSize`
 * messages, hands them to `handler` as an SQS event, and deletes those not
 * listed in `batchItemFailures` (as the mapping does with partial batch
 * responses). Returns how many messages it delivered.
 */
export async function deliverBatch(
  sqs: SQSClient,
  queueUrl: string,
  handler: (event: SqsEvent) => Promise<SqsBatchResponse>,
  batchSize = 5,
): Promise<number> {
  const out = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: batchSize, WaitTimeSeconds: 1, VisibilityTimeout: 60, AttributeNames: ["All"] }),
  );
  const messages = out.Messages ?? [];
  if (messages.length === 0) return 0;
  const event: SqsEvent = {
    Records: messages.map((m) => ({
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body: m.Body!,
      attributes: { ...(m.Attributes as Record<string, string>) },
      eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:exports",
    })),
  };
  const { batchItemFailures } = await handler(event);
  const failed = new Set(batchItemFailures.map((f) => f.itemIdentifier));
  for (const m of messages) {
    if (!failed.has(m.MessageId!)) await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
  }
  return messages.length;
}
