import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { Queue, ReceivedMessage } from "@/lib/ports";
import { awsErrorName } from "./aws-errors";
import { resolveClient, type ClientSource } from "./clients";

/** SQS limits: at most 10 messages per receive, 20 s per long poll, 12 h of visibility, 15 min of delay. */
const MAX_BATCH = 10;
const MAX_WAIT_SECONDS = 20;
const MAX_VISIBILITY_SECONDS = 43_200;
const MAX_DELAY_SECONDS = 900;

/**
 * Errors SQS answers for a receipt that no longer names an in-flight delivery
 * (the message was redelivered, acked or moved): the port treats those as
 * no-ops, as the local queue does.
 */
const STALE_RECEIPT_ERRORS = new Set(["ReceiptHandleIsInvalid", "MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight"]);

export interface SqsQueueOptions {
  client: ClientSource<SQSClient>;
  queueUrl: string;
}

/**
 * The Queue port on Amazon SQS (standard queue). The dead-letter behaviour of
 * the port ("a message delivered more than the maximum receive count moves to
 * the dead-letter queue") is SQS's own redrive policy, set on the queue by
 * `sst.config.ts` (maxReceiveCount 3); this adapter only reads and writes
 * messages. Bodies are JSON.
 */
export class SqsQueue implements Queue {
  private readonly source: ClientSource<SQSClient>;
  private readonly queueUrl: string;

  constructor(opts: SqsQueueOptions) {
    if (!/^https?:\/\//.test(opts.queueUrl)) throw new Error(`SqsQueue: queueUrl must be an http(s) URL, got ${JSON.stringify(opts.queueUrl)}`);
    this.source = opts.client;
    this.queueUrl = opts.queueUrl;
  }

  private get client(): SQSClient {
    return resolveClient(this.source);
  }

  async send(body: unknown, opts: { delaySeconds?: number; fairShareKey?: string } = {}): Promise<{ id: string }> {
    const delay = opts.delaySeconds ?? 0;
    if (!Number.isFinite(delay) || delay < 0 || delay > MAX_DELAY_SECONDS) throw new RangeError("delaySeconds must be between 0 and 900");
    const json = JSON.stringify(body);
    if (json === undefined) throw new TypeError("queue message body must be JSON-serialisable");
    const out = await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: json,
        DelaySeconds: Math.ceil(delay),
        // On a standard queue a group id makes it a fair queue: SQS keeps one group's backlog
        // from holding back the others' messages (it does not order them, as FIFO would).
        ...(opts.fairShareKey ? { MessageGroupId: opts.fairShareKey } : {}),
      }),
    );
    if (!out.MessageId) throw new Error("SQS SendMessage returned no MessageId");
    return { id: out.MessageId };
  }

  async receive(opts: { max: number; waitSeconds: number; visibilitySeconds: number; signal?: AbortSignal }): Promise<ReceivedMessage[]> {
    const { max, waitSeconds, visibilitySeconds, signal } = opts;
    if (!Number.isInteger(max) || max < 1) throw new RangeError("max must be a positive integer");
    if (!Number.isFinite(waitSeconds) || waitSeconds < 0) throw new RangeError("waitSeconds must be >= 0");
    if (!Number.isFinite(visibilitySeconds) || visibilitySeconds < 0) throw new RangeError("visibilitySeconds must be >= 0");

    // SQS long-polls for at most 20 s per call: chain calls for a longer wait.
    const deadline = Date.now() + waitSeconds * 1000;
    do {
      if (signal?.aborted) return [];
      const wait = Math.min(MAX_WAIT_SECONDS, Math.max(0, Math.ceil((deadline - Date.now()) / 1000)));
      let messages: Message[];
      try {
        const out = await this.client.send(
          new ReceiveMessageCommand({
            QueueUrl: this.queueUrl,
            MaxNumberOfMessages: Math.min(MAX_BATCH, max),
            WaitTimeSeconds: wait,
            VisibilityTimeout: Math.min(MAX_VISIBILITY_SECONDS, Math.ceil(visibilitySeconds)),
            // Both spellings: some SQS emulators read only the older `AttributeNames` (where "All"
            // is the one value that names message system attributes).
            MessageSystemAttributeNames: ["ApproximateReceiveCount"],
            AttributeNames: ["All"],
          }),
          { abortSignal: signal },
        );
        messages = out.Messages ?? [];
      } catch (err) {
        // A worker that is shutting down stops polling; that is not a fault.
        if (signal?.aborted) return [];
        throw err;
      }
      if (messages.length > 0) return messages.map(toReceived);
    } while (Date.now() < deadline);
    return [];
  }

  async ack(receipt: string): Promise<void> {
    try {
      await this.client.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receipt }));
    } catch (err) {
      if (!STALE_RECEIPT_ERRORS.has(awsErrorName(err))) throw err;
    }
  }

  async release(receipt: string, delaySeconds: number): Promise<void> {
    if (!Number.isFinite(delaySeconds) || delaySeconds < 0) throw new RangeError("delaySeconds must be >= 0");
    try {
      await this.client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.queueUrl,
          ReceiptHandle: receipt,
          VisibilityTimeout: Math.min(MAX_VISIBILITY_SECONDS, Math.ceil(delaySeconds)),
        }),
      );
    } catch (err) {
      // The delivery is over (acked, redelivered or moved): there is nothing left to release.
      if (!STALE_RECEIPT_ERRORS.has(awsErrorName(err))) throw err;
    }
  }

  async depth(): Promise<number> {
    const out = await this.client.send(
      new GetQueueAttributesCommand({
        QueueUrl: this.queueUrl,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"],
      }),
    );
    const a = out.Attributes ?? {};
    return (
      Number(a.ApproximateNumberOfMessages ?? 0) +
      Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) +
      Number(a.ApproximateNumberOfMessagesDelayed ?? 0)
    );
  }
}

function toReceived(m: Message): ReceivedMessage {
  if (!m.MessageId || !m.ReceiptHandle || m.Body === undefined) throw new Error("SQS returned a message without id, receipt or body");
  let body: unknown;
  try {
    body = JSON.parse(m.Body);
  } catch {
    // Not ours (someone sent text by hand): hand it over as is; the worker's schema check drops it.
    body = m.Body;
  }
  const count = Number(m.Attributes?.ApproximateReceiveCount);
  return { id: m.MessageId, receipt: m.ReceiptHandle, body, receiveCount: Number.isInteger(count) && count > 0 ? count : 1 };
}
