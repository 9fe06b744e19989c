/**
 * AWS emulators started in-process on 127.0.0.1 with random ports, for the
 * AWS adapter tests: dynalite (DynamoDB), s3rver (S3) behind a SigV4 gate,
 * local-aws-sqs (SQS) and aws-ses-v2-local (SES). Each `start*` returns the
 * endpoint and a `stop`; the `make*` helpers create a fresh table, bucket or
 * queue pair with the production shapes (dynamo-schema.ts, a redrive policy
 * of 3 receives).
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import http, { type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
  type AttributeDefinition,
} from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { SESClient } from "@aws-sdk/client-ses";
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import dynalite from "dynalite";
import S3rver from "s3rver";
import { createRequestHandler } from "local-aws-sqs";
import * as sesLocal from "aws-ses-v2-local";
import { KEY_ATTRIBUTES, TABLE_INDEXES, TABLE_KEYS, TTL_ATTRIBUTE } from "@/lib/adapters/aws/dynamo-schema";
import { startSigV4Gate } from "./sigv4-gate";

export const REGION = "us-east-1";
/** s3rver accepts only its own key pair; the other emulators accept anything. */
export const S3_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };
export const FAKE_CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" };

export interface Emulator {
  endpoint: string;
  stop(): Promise<void>;
}

const suffix = () => randomBytes(4).toString("hex");

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.closeAllConnections?.();
    server.close((err) => (err ? reject(err) : resolve()));
  });
}

/* ------------------------------------------------------------------ DynamoDB */

export async function startDynamo(): Promise<Emulator & { client: DynamoDBClient; doc: DynamoDBDocumentClient }> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ region: REGION, endpoint, credentials: FAKE_CREDENTIALS });
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return {
    endpoint,
    client,
    doc,
    stop: async () => {
      client.destroy();
      await closeServer(server);
    },
  };
}

/** Creates the portal's table (keys, indexes, TTL as in production) under a fresh name. */
export async function createJobsTable(client: DynamoDBClient, name = `jobs-${suffix()}`): Promise<{ name: string; drop(): Promise<void> }> {
  const definitions: AttributeDefinition[] = KEY_ATTRIBUTES.map((AttributeName) => ({ AttributeName, AttributeType: "S" }));
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: definitions,
      KeySchema: [
        { AttributeName: TABLE_KEYS.partition, KeyType: "HASH" },
        { AttributeName: TABLE_KEYS.sort, KeyType: "RANGE" },
      ],
      GlobalSecondaryIndexes: TABLE_INDEXES.map((index) => ({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: "HASH" },
          { AttributeName: index.sortKey, KeyType: "RANGE" },
        ],
        Projection: { ProjectionType: "INCLUDE", NonKeyAttributes: [...index.projection] },
      })),
    }),
  );
  const deadline = Date.now() + 10_000;
  while ((await client.send(new DescribeTableCommand({ TableName: name }))).Table?.TableStatus !== "ACTIVE") {
    if (Date.now() > deadline) throw new Error(`table ${name} did not become active`);
    await new Promise((r) => setTimeout(r, 20));
  }
  // dynalite has no TTL: the call documents the production setting and fails here only if unsupported.
  await client
    .send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true } }))
    .catch((err: unknown) => {
      if ((err as { name?: string }).name !== "UnknownOperationException") throw err;
    });
  return { name, drop: async () => void (await client.send(new DeleteTableCommand({ TableName: name }))) };
}

/* ------------------------------------------------------------------------ S3 */

export interface S3Emulator extends Emulator {
  /** Straight to s3rver (no signature checks); `endpoint` is the SigV4 gate in front of it. */
  rawEndpoint: string;
  client: S3Client;
}

export function s3ClientFor(endpoint: string): S3Client {
  return new S3Client({
    region: REGION,
    endpoint,
    forcePathStyle: true,
    credentials: S3_CREDENTIALS,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

export async function startS3(): Promise<S3Emulator> {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), "pep-s3rver-"));
  const s3rver = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory });
  const { port } = await s3rver.run();
  const rawEndpoint = `http://127.0.0.1:${port}`;
  const gate = await startSigV4Gate(rawEndpoint, { [S3_CREDENTIALS.accessKeyId]: S3_CREDENTIALS.secretAccessKey });
  const client = s3ClientFor(gate.url);
  return {
    endpoint: gate.url,
    rawEndpoint,
    client,
    stop: async () => {
      client.destroy();
      await gate.close();
      await s3rver.close();
      await fs.rm(directory, { recursive: true, force: true });
    },
  };
}

/** Creates a fresh bucket; `drop` empties and deletes it. */
export async function createBucket(client: S3Client, name = `bkt-${suffix()}`): Promise<{ name: string; drop(): Promise<void> }> {
  await client.send(new CreateBucketCommand({ Bucket: name }));
  return {
    name,
    drop: async () => {
      for (;;) {
        const listed = await client.send(new ListObjectsV2Command({ Bucket: name }));
        const keys = (listed.Contents ?? []).map((o) => ({ Key: o.Key! }));
        if (keys.length === 0) break;
        await client.send(new DeleteObjectsCommand({ Bucket: name, Delete: { Objects: keys, Quiet: true } }));
      }
      await client.send(new DeleteBucketCommand({ Bucket: name }));
    },
  };
}

/* ----------------------------------------------------------------------- SQS */

/**
 * local-aws-sqs with two corrections, applied to each queue it creates so
 * that the contract checks SQS's documented behaviour rather than the
 * emulator's: (1) it counts a ChangeMessageVisibility as a receive (real SQS
 * counts receives only), which would send released messages to the
 * dead-letter queue early; (2) its ApproximateNumberOfMessages includes
 * in-flight messages, which SQS reports only under ...NotVisible.
 */
export async function startSqs(): Promise<Emulator & { client: SQSClient }> {
  const { service, requestHandler } = createRequestHandler({
    port: 0,
    hostname: "127.0.0.1",
    region: REGION,
    // Tests make many short-lived queues; AWS's 60 s wait before reusing a name does not apply to fresh names anyway.
    emulateQueueCreationLifecycle: false,
  });
  const server = http.createServer((req, res) => {
    void requestHandler(req, res).finally(() => correctQueues(service.Queues as unknown as EmulatedQueue[]));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  // Queue URLs embed the port the emulator was told about; it learns the real one here.
  service.PORT = port;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new SQSClient({ region: REGION, endpoint, credentials: FAKE_CREDENTIALS });
  return {
    endpoint,
    client,
    stop: async () => {
      client.destroy();
      await closeServer(server);
    },
  };
}

/** The parts of local-aws-sqs's queue object the corrections touch. */
interface EmulatedQueue {
  newRecord: (record: EmulatedRecord, delay?: number) => { record: EmulatedRecord };
  changeVisibility: (receipt: string, seconds: number) => boolean;
  getAttributes: (names: string[]) => Record<string, string> | undefined;
  __corrected?: boolean;
}
interface EmulatedRecord {
  MessageId: string;
  attributes: { ApproximateReceiveCount: string };
}

function correctQueues(queues: EmulatedQueue[]): void {
  for (const queue of queues) {
    if (queue.__corrected) continue;
    queue.__corrected = true;
    const live = new Map<string, { record: EmulatedRecord }>();
    const newRecord = queue.newRecord;
    queue.newRecord = (record, delay) => {
      const entry = newRecord(record, delay);
      live.set(entry.record.MessageId, entry);
      return entry;
    };
    const changeVisibility = queue.changeVisibility.bind(queue);
    queue.changeVisibility = (receipt, seconds) => {
      const entry = live.get(messageIdOfReceipt(receipt) ?? "");
      const count = entry?.record.attributes.ApproximateReceiveCount;
      const changed = changeVisibility(receipt, seconds);
      if (entry && count !== undefined) entry.record.attributes.ApproximateReceiveCount = count;
      return changed;
    };
    const getAttributes = queue.getAttributes.bind(queue);
    queue.getAttributes = (names) => {
      const all = getAttributes(["All"]);
      if (!all) return getAttributes(names);
      const visible = Number(all.ApproximateNumberOfMessages) - Number(all.ApproximateNumberOfMessagesNotVisible);
      const out = getAttributes(names);
      if (out && "ApproximateNumberOfMessages" in out) out.ApproximateNumberOfMessages = String(Math.max(0, visible));
      return out;
    };
  }
}

/** local-aws-sqs receipts are base64 of `<uuid>{"MessageId": ...}`. */
function messageIdOfReceipt(receipt: string): string | null {
  try {
    const text = Buffer.from(receipt, "base64").toString("utf8");
    const parsed = JSON.parse(text.slice(text.indexOf("{"))) as { MessageId?: unknown };
    return typeof parsed.MessageId === "string" ? parsed.MessageId : null;
  } catch {
    return null;
  }
}

/** A main queue and its dead-letter queue, with the production redrive policy (3 receives). */
export async function createQueuePair(
  client: SQSClient,
  opts: { maxReceives?: number } = {},
): Promise<{ queueUrl: string; deadLetterUrl: string; drop(): Promise<void> }> {
  const name = `exports-${suffix()}`;
  const dlq = await client.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const dlqArn = (await client.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ["QueueArn"] }))).Attributes?.QueueArn;
  const main = await client.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: opts.maxReceives ?? 3 }) },
    }),
  );
  const queueUrl = main.QueueUrl!;
  const deadLetterUrl = dlq.QueueUrl!;
  return {
    queueUrl,
    deadLetterUrl,
    drop: async () => {
      await client.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
      await client.send(new DeleteQueueCommand({ QueueUrl: deadLetterUrl }));
    },
  };
}

/* ----------------------------------------------------------------------- SES */

export interface SesEmulator extends Emulator {
  client: SESClient;
  /** What the emulator received, oldest first. */
  readStore(): Promise<SesStoredMail[]>;
  clearStore(): Promise<void>;
}

export interface SesStoredMail {
  messageId: string;
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string; html?: string };
  at: number;
}

export async function startSes(): Promise<SesEmulator> {
  // The package is CommonJS with a default export; depending on interop it arrives wrapped once or twice.
  const mod = sesLocal as unknown as { default: unknown };
  const start = (typeof mod.default === "function" ? mod.default : (mod.default as { default: unknown }).default) as (c: {
    host: string;
    port: number;
  }) => Promise<Server>;
  const server = await start({ host: "127.0.0.1", port: 0 });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new SESClient({ region: REGION, endpoint, credentials: FAKE_CREDENTIALS });
  return {
    endpoint,
    client,
    readStore: async () => {
      const res = await fetch(`${endpoint}/store`);
      if (!res.ok) throw new Error(`GET /store answered ${res.status}`);
      return ((await res.json()) as { emails: SesStoredMail[] }).emails;
    },
    clearStore: async () => {
      const res = await fetch(`${endpoint}/clear-store`, { method: "POST" });
      if (!res.ok) throw new Error(`POST /clear-store answered ${res.status}`);
    },
    stop: async () => {
      client.destroy();
      await closeServer(server);
    },
  };
}
