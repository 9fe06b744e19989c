// Lambda entry point for the export queue's dead-letter queue: each message there is an export that failed on every delivery.
import { getDeps } from "@/lib/config";
import type { ExportDeps } from "@/lib/exports/deps";
import { handleDeadLetter } from "@/lib/exports/worker";
import { parseBody, type LambdaContext, type SqsBatchResponse, type SqsEvent } from "./sqs";

/**
 * Marks each dead-lettered export failed (with the last fault the worker
 * recorded) and mails the requester. A record whose handling throws (the
 * job store is unreachable) is reported back and retried from the
 * dead-letter queue; the dead-letter queue has no redrive of its own, so it
 * is retried until its retention ends, with an alarm-worthy log each time.
 */
export const handler = async (event: SqsEvent, context?: LambdaContext): Promise<SqsBatchResponse> =>
  processDeadLetterBatch(await getDeps(), event, context);

/** `handler` with its dependencies passed in. */
export async function processDeadLetterBatch(deps: ExportDeps, event: SqsEvent, context?: LambdaContext): Promise<SqsBatchResponse> {
  const failures: { itemIdentifier: string }[] = [];
  for (const record of event.Records) {
    const log = deps.log.child({ messageId: record.messageId, requestId: context?.awsRequestId });
    try {
      log.warn({ body: record.body }, "dead letter");
      await handleDeadLetter(deps, parseBody(record.body));
    } catch (err) {
      log.error({ err }, "could not handle dead letter; it stays in the dead-letter queue");
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
}
