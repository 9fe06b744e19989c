/**
 * The Lambda entry points (workers/sqs.ts, workers/sqs-dlq.ts) on a local
 * backend: they are backend-agnostic, and the local queue shows exactly what
 * they did to each message. The whole aws-mode path is in export-flow-aws.test.ts.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppDeps } from "@/lib/config";
import { SimulatedCrash } from "@/lib/exports/deps";
import { BackendError } from "@/lib/core/errors";
import type { ReceivedMessage } from "@/lib/ports";
import { processDeadLetterBatch } from "@/workers/sqs-dlq";
import { processExportBatch, sweepAllExpired, type SqsEvent } from "@/workers/sqs";
import { makeLocalDeps, requestExportAs, rose } from "@/test/support/local-env";

const opened: Array<AppDeps & { dataDir: string }> = [];

async function deps(env: Record<string, string> = {}): Promise<AppDeps & { dataDir: string }> {
  // No query runs in these tests: the warehouse file is never opened.
  const d = await makeLocalDeps(path.join("/nonexistent", "warehouse.duckdb"), { RETRY_BASE_SECONDS: "10", ...env });
  opened.push(d);
  return d;
}

afterAll(async () => {
  for (const d of opened) {
    await d.close();
    await fs.rm(d.dataDir, { recursive: true, force: true });
  }
});

/** Receives the queue's messages as Lambda's event source mapping would hand them over. */
async function eventFrom(d: AppDeps, queue = d.queue): Promise<{ event: SqsEvent; messages: ReceivedMessage[] }> {
  const messages = await queue.receive({ max: 10, waitSeconds: 0, visibilitySeconds: 600 });
  return {
    messages,
    event: {
      Records: messages.map((m) => ({
        messageId: m.id,
        receiptHandle: m.receipt,
        body: typeof m.body === "string" ? m.body : JSON.stringify(m.body),
        attributes: { ApproximateReceiveCount: String(m.receiveCount) },
      })),
    },
  };
}

/** `target` with some methods replaced; the others still run on `target`. */
function override<T extends object>(target: T, methods: Partial<T>): T {
  return Object.assign(Object.create(target) as T, methods);
}

const context = (remainingMs: number) => ({ getRemainingTimeInMillis: () => remainingMs, awsRequestId: "req-1" });

describe("workers/sqs.ts handler", () => {
  let d: AppDeps & { dataDir: string };
  beforeAll(async () => {
    d = await deps();
  });

  it("reports a retry as a batch item failure after setting the message's visibility to the retry delay", async () => {
    const rec = await requestExportAs(d, rose, { dataset: "product_inventory", params: {} });
    const released: Array<[string, number]> = [];
    const spied: AppDeps = {
      ...d,
      queue: override(d.queue, {
        release: async (receipt: string, seconds: number) => {
          released.push([receipt, seconds]);
          await d.queue.release(receipt, seconds);
        },
      }),
      warehouse: override(d.warehouse, {
        submitUnload: async () => {
          throw new BackendError("warehouse_busy", "Active statements exceeded", true);
        },
      }),
    };
    const { event, messages } = await eventFrom(d);
    expect(messages).toHaveLength(1);
    const out = await processExportBatch(spied, event, context(600_000));
    expect(out).toEqual({ batchItemFailures: [{ itemIdentifier: messages[0]!.id }] });
    // RETRY_BASE_SECONDS * 2^(receiveCount - 1) for the first receive.
    expect(released).toEqual([[messages[0]!.receipt, 10]]);
    expect((await d.jobs.listSteps(rec.id)).at(-1)).toMatchObject({ step: "retrying", detail: { attempt: 1, inSeconds: 10 } });
    // Hidden for the delay, not for the mapping's long visibility timeout nor at once.
    expect(await d.queue.receive({ max: 10, waitSeconds: 0, visibilitySeconds: 30 })).toEqual([]);
  });

  it("lets a message that was handled (even a malformed one) be deleted", async () => {
    const d2 = await deps();
    await d2.queue.send("not a message");
    await d2.queue.send({ type: "export.process", exportId: "exp_0000000000zzzzzzzzzzzz" });
    const { event } = await eventFrom(d2);
    expect(await processExportBatch(d2, event, context(600_000))).toEqual({ batchItemFailures: [] });
  });

  it("reports a crashed delivery as failed and leaves the message to its visibility timeout", async () => {
    const d3 = await deps();
    const rec = await requestExportAs(d3, rose, { dataset: "product_inventory", params: {} });
    const crashing: AppDeps = {
      ...d3,
      checkpoint: (name) => {
        if (name === "claimed") throw new SimulatedCrash(name);
      },
    };
    const { event, messages } = await eventFrom(d3);
    expect(await processExportBatch(crashing, event, context(600_000))).toEqual({ batchItemFailures: [{ itemIdentifier: messages[0]!.id }] });
    expect((await d3.jobs.getExport(rec.id))?.status).toBe("running");
    expect(await d3.queue.receive({ max: 10, waitSeconds: 0, visibilitySeconds: 30 })).toEqual([]);
  });

  it("does not start a message with too little time left, and hands it back at once", async () => {
    const d4 = await deps();
    const rec = await requestExportAs(d4, rose, { dataset: "product_inventory", params: {} });
    const { event, messages } = await eventFrom(d4);
    expect(await processExportBatch(d4, event, context(30_000))).toEqual({ batchItemFailures: [{ itemIdentifier: messages[0]!.id }] });
    expect((await d4.jobs.getExport(rec.id))?.status).toBe("queued");
    const [again] = await d4.queue.receive({ max: 1, waitSeconds: 0, visibilitySeconds: 30 });
    expect(again?.id).toBe(messages[0]!.id);
  });
});

describe("workers/sqs-dlq.ts handler", () => {
  it("fails the export of a dead letter with the last recorded fault, and mails the requester", async () => {
    const d = await deps();
    const rec = await requestExportAs(d, rose, { dataset: "product_inventory", params: {}, notify: true });
    await d.jobs.appendSteps(rec.id, [{ at: new Date().toISOString(), step: "retrying", detail: { attempt: 3, message: "S3 was slow", inSeconds: 40 } }]);
    await d.deadLetterQueue.send({ type: "export.process", exportId: rec.id, reason: "requested" });
    const { event } = await eventFrom(d, d.deadLetterQueue);
    expect(await processDeadLetterBatch(d, event)).toEqual({ batchItemFailures: [] });
    const failed = await d.jobs.getExport(rec.id);
    expect(failed).toMatchObject({ status: "failed", errorCode: "gave_up" });
    expect(failed?.errorMessage).toContain("S3 was slow");
    expect((await d.mailer.listSent(10))?.[0]?.subject).toMatch(/failed/);
  });

  it("keeps a dead letter it could not handle in the dead-letter queue", async () => {
    const d = await deps();
    const rec = await requestExportAs(d, rose, { dataset: "product_inventory", params: {} });
    await d.deadLetterQueue.send({ type: "export.process", exportId: rec.id });
    const { event, messages } = await eventFrom(d, d.deadLetterQueue);
    const broken: AppDeps = { ...d, jobs: override(d.jobs, { getExport: async () => Promise.reject(new Error("DynamoDB unreachable")) }) };
    expect(await processDeadLetterBatch(broken, event)).toEqual({ batchItemFailures: [{ itemIdentifier: messages[0]!.id }] });
  });
});

describe("sweepHandler", () => {
  it("sweeps in batches until no expired export is left", async () => {
    const d = await deps();
    const past = new Date(Date.now() - 86_400_000).toISOString();
    for (let i = 0; i < 5; i++) {
      const rec = await requestExportAs(d, rose, { dataset: "product_inventory", params: {} });
      await d.jobs.transition(rec.id, { status: ["queued"] }, { status: "running" });
      await d.jobs.transition(rec.id, { status: ["running"] }, { status: "archiving" });
      await d.jobs.transition(rec.id, { status: ["archiving"] }, { status: "ready", expiresAt: past, archiveKey: `archives/sup_rose/${rec.id}.zip` });
    }
    expect(await sweepAllExpired(d, context(600_000), 2)).toEqual({ expired: 5 });
    expect(await d.jobs.listExpiredReady(new Date().toISOString(), 10)).toEqual([]);
  });
});
