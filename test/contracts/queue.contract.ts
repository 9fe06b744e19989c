/**
 * Contract for `Queue` (lib/ports.ts), run by the SQLite queue and by SQS.
 * `make` builds a queue whose dead-letter queue has a maximum receive count of 3.
 * Time-based checks use whole-second visibility and poll with deadlines.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Queue, ReceivedMessage } from "@/lib/ports";

type MakeQueue = () => Promise<{ queue: Queue; deadLetter: Queue; cleanup: () => Promise<void> }>;

const MAX_RECEIVES = 3;

/** Receives until something arrives or the deadline passes (short long-polls, so a stuck adapter fails fast). */
async function receiveWithin(queue: Queue, ms: number, visibilitySeconds = 30, max = 1): Promise<ReceivedMessage[]> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const got = await queue.receive({ max, waitSeconds: 1, visibilitySeconds });
    if (got.length > 0) return got;
  }
  return [];
}

/** Receives exactly one message or fails the test. */
async function receiveOne(queue: Queue, ms = 10_000, visibilitySeconds = 30): Promise<ReceivedMessage> {
  const [msg, ...rest] = await receiveWithin(queue, ms, visibilitySeconds);
  expect(msg, "expected a message before the deadline").toBeDefined();
  expect(rest).toEqual([]);
  return msg!;
}

async function expectEmptyNow(queue: Queue): Promise<void> {
  expect(await queue.receive({ max: 10, waitSeconds: 0, visibilitySeconds: 30 })).toEqual([]);
}

async function eventually(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function testQueue(make: MakeQueue): void {
  describe("Queue contract", () => {
    let queue: Queue;
    let deadLetter: Queue;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ queue, deadLetter, cleanup } = await make());
    });
    afterEach(async () => {
      await cleanup();
    });

    it("round-trips a JSON body, with the id send returned and receiveCount 1", async () => {
      const body = { type: "run", exportId: "exp_1", nested: { list: [1, "two", null, true] }, text: "Rosé – 🌷" };
      const { id } = await queue.send(body);
      expect(typeof id).toBe("string");
      const msg = await receiveOne(queue);
      expect(msg.body).toEqual(body);
      expect(msg.id).toBe(id);
      expect(msg.receiveCount).toBe(1);
      expect(typeof msg.receipt).toBe("string");
    });

    it("delivers messages with and without fair-share keys, each once, delays included", async () => {
      const sent = new Set<string>();
      for (let i = 0; i < 6; i++) sent.add((await queue.send({ i }, { fairShareKey: i % 2 ? "sup_a" : "sup_b" })).id);
      sent.add((await queue.send({ none: true })).id);
      sent.add((await queue.send({ delayed: true }, { fairShareKey: "sup_a", delaySeconds: 1 })).id);
      const got: ReceivedMessage[] = [];
      const deadline = Date.now() + 15_000;
      while (got.length < sent.size && Date.now() < deadline) {
        const batch = await queue.receive({ max: 10, waitSeconds: 1, visibilitySeconds: 30 });
        for (const m of batch) await queue.ack(m.receipt);
        got.push(...batch);
      }
      expect(got.map((m) => m.id).sort()).toEqual([...sent].sort());
      await expectEmptyNow(queue);
    });

    it("delivers a batch of up to `max` messages, each once", async () => {
      const sent = new Set<string>();
      for (let i = 0; i < 5; i++) sent.add((await queue.send({ i })).id);
      const got: ReceivedMessage[] = [];
      const deadline = Date.now() + 10_000;
      while (got.length < 5 && Date.now() < deadline) {
        const batch = await queue.receive({ max: 3, waitSeconds: 1, visibilitySeconds: 30 });
        expect(batch.length).toBeLessThanOrEqual(3);
        got.push(...batch);
      }
      expect(got.map((m) => m.id).sort()).toEqual([...sent].sort());
      await expectEmptyNow(queue);
    });

    it("ack removes the message for good", async () => {
      await queue.send({ n: 1 });
      const msg = await receiveOne(queue, 10_000, 1);
      await queue.ack(msg.receipt);
      await eventually(async () => (await queue.depth()) === 0, 10_000, "depth 0 after ack");
      // Past the 1 s visibility it would have come back had the ack not worked.
      expect(await receiveWithin(queue, 2_500)).toEqual([]);
    });

    it("acking a stale receipt is harmless", async () => {
      await queue.send({ n: 1 });
      const first = await receiveOne(queue, 10_000, 1);
      const second = await receiveOne(queue, 10_000, 30); // redelivered after 1 s: first.receipt is stale
      expect(second.receiveCount).toBe(2);
      await queue.ack(second.receipt);
      await expect(queue.ack(first.receipt)).resolves.toBeUndefined();
      await expect(queue.ack(second.receipt)).resolves.toBeUndefined();
      await eventually(async () => (await queue.depth()) === 0, 10_000, "depth 0");
    });

    it("redelivers after the visibility timeout, with a growing receiveCount", async () => {
      const { id } = await queue.send({ n: 1 });
      const first = await receiveOne(queue, 10_000, 1);
      expect(first.receiveCount).toBe(1);
      const second = await receiveOne(queue, 10_000, 1);
      expect(second.id).toBe(id);
      expect(second.receiveCount).toBe(2);
      expect(second.receipt).not.toBe(first.receipt);
    });

    it("hides a delivered message for its visibility timeout", async () => {
      await queue.send({ n: 1 });
      await receiveOne(queue, 10_000, 30);
      expect(await queue.receive({ max: 10, waitSeconds: 1, visibilitySeconds: 30 })).toEqual([]);
    });

    it("release(0) makes the message visible again at once, keeping its receive count", async () => {
      await queue.send({ n: 1 });
      const first = await receiveOne(queue, 10_000, 30);
      await queue.release(first.receipt, 0);
      const again = await receiveOne(queue, 5_000, 30);
      expect(again.id).toBe(first.id);
      expect(again.receiveCount).toBe(2);
    });

    it("release with a delay keeps the message hidden until the delay has passed", async () => {
      await queue.send({ n: 1 });
      const first = await receiveOne(queue, 10_000, 30);
      const releasedAt = Date.now();
      await queue.release(first.receipt, 2);
      await expectEmptyNow(queue);
      const again = await receiveOne(queue, 15_000, 30);
      expect(Date.now() - releasedAt).toBeGreaterThanOrEqual(1_500);
      expect(again.id).toBe(first.id);
      expect(again.receiveCount).toBe(2);
    });

    it("keeps a delayed send invisible until its delay passes", async () => {
      const sentAt = Date.now();
      const { id } = await queue.send({ later: true }, { delaySeconds: 2 });
      await expectEmptyNow(queue);
      const msg = await receiveOne(queue, 15_000);
      expect(Date.now() - sentAt).toBeGreaterThanOrEqual(1_500);
      expect(msg.id).toBe(id);
      expect(msg.body).toEqual({ later: true });
      expect(msg.receiveCount).toBe(1);
    });

    it(`moves a message received ${MAX_RECEIVES} times without ack to the dead-letter queue`, async () => {
      const { id } = await queue.send({ poison: true });
      for (let n = 1; n <= MAX_RECEIVES; n++) {
        const msg = await receiveOne(queue, 10_000, 1);
        expect(msg.id).toBe(id);
        expect(msg.receiveCount).toBe(n);
      }
      // The move happens when the main queue would deliver it a fourth time: keep receiving there.
      let dead: ReceivedMessage | undefined;
      const deadline = Date.now() + 15_000;
      while (!dead && Date.now() < deadline) {
        expect(await queue.receive({ max: 10, waitSeconds: 1, visibilitySeconds: 1 })).toEqual([]);
        [dead] = await deadLetter.receive({ max: 1, waitSeconds: 1, visibilitySeconds: 30 });
      }
      expect(dead, "message reached the dead-letter queue").toBeDefined();
      expect(dead!.body).toEqual({ poison: true });
      await eventually(async () => (await queue.depth()) === 0, 10_000, "main queue empty");
      expect(await queue.receive({ max: 10, waitSeconds: 1, visibilitySeconds: 30 })).toEqual([]);
    });

    it("a long poll returns as soon as a message is sent", async () => {
      const started = Date.now();
      const pending = queue.receive({ max: 1, waitSeconds: 10, visibilitySeconds: 30 });
      // Sent while the poll is already waiting.
      const sender = new Promise<void>((resolve, reject) =>
        setTimeout(() => queue.send({ wake: true }).then(() => resolve(), reject), 300),
      );
      const [got] = await Promise.all([pending, sender]);
      expect(got.map((m) => m.body)).toEqual([{ wake: true }]);
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it("a long poll on an empty queue waits about waitSeconds, then returns nothing", async () => {
      const started = Date.now();
      expect(await queue.receive({ max: 1, waitSeconds: 1, visibilitySeconds: 30 })).toEqual([]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    });

    it("depth counts messages whether visible, in flight or delayed", async () => {
      expect(await queue.depth()).toBe(0);
      await queue.send({ n: 1 });
      await queue.send({ n: 2 });
      await queue.send({ n: 3 }, { delaySeconds: 60 });
      await eventually(async () => (await queue.depth()) === 3, 10_000, "depth 3");
      const msg = await receiveOne(queue, 10_000, 30);
      await eventually(async () => (await queue.depth()) === 3, 10_000, "depth still 3 with one in flight");
      await queue.ack(msg.receipt);
      await eventually(async () => (await queue.depth()) === 2, 10_000, "depth 2 after ack");
      expect(await deadLetter.depth()).toBe(0);
    });
  });
}
