/** The Queue contract on SQS (local-aws-sqs), with the production redrive policy of 3 receives. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqsQueue } from "@/lib/adapters/aws/sqs-queue";
import { testQueue } from "@/test/contracts/queue.contract";
import { createQueuePair, startSqs } from "@/test/support/emulators";

let sqs: Awaited<ReturnType<typeof startSqs>>;

beforeAll(async () => {
  sqs = await startSqs();
});
afterAll(async () => {
  await sqs.stop();
});

describe("SqsQueue", () => {
  testQueue(async () => {
    const pair = await createQueuePair(sqs.client);
    return {
      queue: new SqsQueue({ client: sqs.client, queueUrl: pair.queueUrl }),
      deadLetter: new SqsQueue({ client: sqs.client, queueUrl: pair.deadLetterUrl }),
      cleanup: pair.drop,
    };
  });

  it("returns nothing, without an error, when the receive is aborted mid-poll", async () => {
    const pair = await createQueuePair(sqs.client);
    const queue = new SqsQueue({ client: sqs.client, queueUrl: pair.queueUrl });
    const controller = new AbortController();
    const started = Date.now();
    const pending = queue.receive({ max: 1, waitSeconds: 10, visibilitySeconds: 30, signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    expect(await pending).toEqual([]);
    expect(Date.now() - started).toBeLessThan(5_000);
    await pair.drop();
  });

  it("hands over a body that is not JSON as text, for the worker's schema check to drop", async () => {
    const pair = await createQueuePair(sqs.client);
    const queue = new SqsQueue({ client: sqs.client, queueUrl: pair.queueUrl });
    const { SendMessageCommand } = await import("@aws-sdk/client-sqs");
    await sqs.client.send(new SendMessageCommand({ QueueUrl: pair.queueUrl, MessageBody: "not json {" }));
    const [msg] = await queue.receive({ max: 1, waitSeconds: 5, visibilitySeconds: 30 });
    expect(msg?.body).toBe("not json {");
    expect(msg?.receiveCount).toBe(1);
    await pair.drop();
  });

  it("refuses delays SQS cannot hold", async () => {
    const queue = new SqsQueue({ client: sqs.client, queueUrl: "http://127.0.0.1:1/000000000000/none" });
    await expect(queue.send({}, { delaySeconds: 901 })).rejects.toBeInstanceOf(RangeError);
    await expect(queue.send({}, { delaySeconds: -1 })).rejects.toBeInstanceOf(RangeError);
    expect(() => new SqsQueue({ client: sqs.client, queueUrl: "exports" })).toThrow(/URL/);
  });
});
