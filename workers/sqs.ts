// Lambda entry points of the AWS deployment: the export queue's worker, and the daily expiry sweep (see sst.config.ts).
import { getDeps } from "@/lib/config";
import type { ExportDeps } from "@/lib/exports/deps";
import { sweepExpired } from "@/lib/exports/worker";
import { requeueStaleExports } from "@/lib/exports/requeue";
import { handleQueueMessage, type WorkerDeps } from "./dispatch";
import { tickSchedules, type SchedulingDeps, type TickReport } from "@/lib/schedules/runs";
import { tuneWorkerHeap } from "./heap";
import { sweepTempDirs } from "./temp-sweep";

tuneWorkerHeap();

/* Minimal shapes of the Lambda events we receive (instead of depending on @types/aws-lambda). */

/** One SQS message as Lambda's event source mapping delivers it. */
export interface SqsRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: { ApproximateReceiveCount?: string } & Record<string, string | undefined>;
  eventSourceARN?: string;
}

export interface SqsEvent {
  Records: SqsRecord[];
}

/** Partial batch response: the listed messages go back to the queue, the rest are deleted. */
export interface SqsBatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

export interface LambdaContext {
  getRemainingTimeInMillis(): number;
  awsRequestId?: string;
}

/** A record is not started with less time than this left: archiving one can take minutes. */
const MIN_REMAINING_MS = 120_000;

/**
 * The worker: one delivery of the export queue per record (an export step or
 * a webhook attempt, dispatched by type), in order (each
 * may stream a large archive; running them one after another keeps memory
 * and /tmp use to one archive). Records whose outcome is "retry" have their
 * visibility set to the outcome's delay before they are reported as failed,
 * so the retry waits that long (the delay doubles with each receive) instead
 * of the queue's whole visibility timeout. After the third receive SQS moves
 * the message to the dead-letter queue, whose handler fails the export.
 *
 * Deps are built once per container by `getDeps()`, on the first invocation.
 */
export const handler = async (event: SqsEvent, context?: LambdaContext): Promise<SqsBatchResponse> =>
  processExportBatch(await getDeps(), event, context);

/**
 * Nothing in a Lambda container's /tmp can belong to a live archive once it is
 * older than the longest invocation (15 minutes): a timed-out or killed
 * invocation's spool would otherwise stay as long as the container (issue 12, finding 13).
 */
const LAMBDA_SCRATCH_MAX_AGE_MS = 16 * 60_000;

/**
 * Time kept back from the invocation's limit when an archive decides to hand over: the part in
 * flight when the deadline passes still has to finish (a 64 MB upload or a 1 GB server-side copy,
 * each some seconds) before the checkpoint is saved and the message sent again.
 */
const ARCHIVE_HANDOVER_MARGIN_MS = 90_000;

/** `handler` with its dependencies passed in. */
export async function processExportBatch(deps: WorkerDeps, event: SqsEvent, context?: LambdaContext): Promise<SqsBatchResponse> {
  const failures: { itemIdentifier: string }[] = [];
  const swept = await sweepTempDirs(deps.settings.tempDirs, Math.min(deps.settings.tempMaxAgeMs, LAMBDA_SCRATCH_MAX_AGE_MS)).catch(() => []);
  if (swept.length > 0) deps.log.warn({ removed: swept }, "swept scratch files an earlier invocation left");
  for (const record of event.Records) {
    const log = deps.log.child({ messageId: record.messageId, requestId: context?.awsRequestId });
    if (context && context.getRemainingTimeInMillis() < MIN_REMAINING_MS) {
      // Not started: hand it to the next invocation now rather than after the visibility timeout.
      log.warn({ remainingMs: context.getRemainingTimeInMillis() }, "too little time left to start a message; returning it to the queue");
      await deps.queue.release(record.receiptHandle, 0).catch((err: unknown) => log.error({ err }, "could not release message"));
      failures.push({ itemIdentifier: record.messageId });
      continue;
    }
    const receiveCount = Number(record.attributes.ApproximateReceiveCount);
    try {
      const outcome = await handleQueueMessage(deps, parseBody(record.body), {
        receiveCount: Number.isInteger(receiveCount) && receiveCount > 0 ? receiveCount : 1,
        // A resumable archive hands over through the queue before the invocation's time runs out.
        deadline: context ? Date.now() + context.getRemainingTimeInMillis() - ARCHIVE_HANDOVER_MARGIN_MS : undefined,
      });
      if (outcome.kind === "retry") {
        await deps.queue.release(record.receiptHandle, outcome.delaySeconds);
        failures.push({ itemIdentifier: record.messageId });
      }
    } catch (err) {
      // handleQueueMessage throws only for bugs: leave the message to its visibility timeout.
      log.error({ err }, "unexpected error handling message");
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
}

/**
 * The expiry sweep, run daily by a Cron: marks ready exports past their
 * retention as expired and deletes their archives, in batches until none is
 * left (the archive bucket's lifecycle rule is the backstop).
 */
export const sweepHandler = async (_event?: unknown, context?: LambdaContext): Promise<{ expired: number }> =>
  sweepAllExpired(await getDeps(), context);

/** `sweepHandler` with its dependencies passed in. */
export async function sweepAllExpired(deps: ExportDeps, context?: LambdaContext, batch = 100): Promise<{ expired: number }> {
  let expired = 0;
  for (;;) {
    const n = await sweepExpired(deps, batch);
    expired += n;
    if (n < batch || (context && context.getRemainingTimeInMillis() < 30_000)) break;
  }
  deps.log.info({ expired }, "expiry sweep done");
  return { expired };
}

/**
 * The requeue sweep, run every few minutes by a Cron: sends the queue message
 * again for exports queued and untouched for REQUEUE_AFTER_SECONDS (a crash
 * between the DynamoDB write and the SQS send lost it; see lib/exports/requeue.ts).
 */
export const requeueHandler = async (_event?: unknown, context?: LambdaContext): Promise<{ requeued: number }> => requeueAll(await getDeps(), context);

/** `requeueHandler` with its dependencies passed in. */
export async function requeueAll(deps: ExportDeps, context?: LambdaContext, batch = 100): Promise<{ requeued: number }> {
  let requeued = 0;
  for (;;) {
    const n = await requeueStaleExports(deps, batch);
    requeued += n;
    if (n < batch || (context && context.getRemainingTimeInMillis() < 30_000)) break;
  }
  if (requeued > 0) deps.log.warn({ requeued }, "requeue sweep sent queued exports again");
  return { requeued };
}

/**
 * The scheduler, run every minute by a CronV2 (sst.config.ts): starts every
 * due scheduled run once (see lib/schedules/runs.ts; overlapping invocations
 * are safe).
 */
export const scheduleHandler = async (): Promise<TickReport> => runScheduleTick(await getDeps());

/** `scheduleHandler` with its dependencies passed in. */
export async function runScheduleTick(deps: SchedulingDeps): Promise<TickReport> {
  return tickSchedules(deps);
}

/** Bodies are JSON; anything else is handed over as text for the message schema to refuse. */
export function parseBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}
