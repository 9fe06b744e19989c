// Lambda entry points of the delivery lane (issue 12, finding 2): the delivery queue's worker and its dead-letter handler (see sst.config.ts).
import { getDeps } from "@/lib/config";
import type { WorkerDeps } from "./dispatch";
import { handleDeliveryDeadLetter, handleDeliveryMessage } from "./delivery-dispatch";
import { parseBody, type LambdaContext, type SqsBatchResponse, type SqsEvent } from "./sqs";

/**
 * One attempt per record, all records of the batch at once: each is bounded
 * by the webhook timeout (or the push's own), so a batch of hanging endpoints
 * costs one timeout, not ten. Records whose outcome is "retry" (a store
 * fault) get their delay as visibility and are reported failed; after the
 * queue's maximum receives they land in the delivery dead-letter queue.
 */
export const handler = async (event: SqsEvent, context?: LambdaContext): Promise<SqsBatchResponse> => processDeliveryBatch(await getDeps(), event, context);

export async function processDeliveryBatch(deps: WorkerDeps, event: SqsEvent, context?: LambdaContext): Promise<SqsBatchResponse> {
  const results = await Promise.all(
    event.Records.map(async (record) => {
      const log = deps.log.child({ messageId: record.messageId, requestId: context?.awsRequestId });
      try {
        const outcome = await handleDeliveryMessage(deps, parseBody(record.body));
        if (outcome.kind === "done") return null;
        await deps.deliveryQueue.release(record.receiptHandle, outcome.delaySeconds);
      } catch (err) {
        log.error({ err }, "unexpected error handling delivery message");
      }
      return { itemIdentifier: record.messageId };
    }),
  );
  return { batchItemFailures: results.filter((r): r is { itemIdentifier: string } => r !== null) };
}

/** The delivery dead-letter queue's handler: logs each message (attempts are recorded per attempt, so there is nothing to mark). */
export const deadLetterHandler = async (event: SqsEvent): Promise<SqsBatchResponse> => {
  const deps = await getDeps();
  for (const record of event.Records) await handleDeliveryDeadLetter(deps, parseBody(record.body));
  return { batchItemFailures: [] };
};
