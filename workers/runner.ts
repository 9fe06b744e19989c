/**
 * The long-running worker loop, for any Queue adapter (SQLite locally, SQS
 * when run as a plain process): `concurrency` slots each long-poll the export
 * queue for one message, run it, and ack or release it; `deliveryConcurrency`
 * slots of their own do the same on the delivery lane (webhooks, pushes), so
 * a hanging endpoint never takes an export's slot (issue 12, finding 2); one
 * more loop per lane drains its dead-letter queue; a timer sweeps expired archives. Stops cleanly when
 * `signal` aborts: no new messages, in-flight ones get `graceMs` to finish,
 * then are released for another worker.
 */
import { handleDeadLetter, sweepExpired } from "@/lib/exports/worker";
import { requeueStaleExports } from "@/lib/exports/requeue";
import type { Queue, ReceivedMessage } from "@/lib/ports";
import type { WorkerOutcome } from "@/lib/exports/worker";
import { handleDeliveryDeadLetter, handleDeliveryMessage } from "./delivery-dispatch";
import { handleQueueMessage, type WorkerDeps } from "./dispatch";
import { sweepTempDirs } from "./temp-sweep";

export interface RunnerOptions {
  /** Export slots. */
  concurrency: number;
  /** Delivery-lane slots (default 4). */
  deliveryConcurrency?: number;
  signal: AbortSignal;
  /** Long-poll wait of each receive. */
  waitSeconds?: number;
  /** How often expired exports are swept; 0 disables the sweep. */
  sweepIntervalMs?: number;
  /** How long in-flight messages may run on after `signal` aborts. */
  graceMs?: number;
  /** The scheduler tick (lib/schedules/runs.ts) and how often to run it; on AWS a cron Lambda ticks instead. */
  scheduler?: { tick: () => Promise<unknown>; intervalMs: number };
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * Keeps a delivery hidden from other workers while it is being worked on
 * (an archive of many GB can take longer than one visibility timeout).
 */
function keepInvisible(queue: Queue, msg: ReceivedMessage, visibilitySeconds: number): () => void {
  const timer = setInterval(() => {
    queue.release(msg.receipt, visibilitySeconds).catch(() => undefined);
  }, Math.max(1000, (visibilitySeconds * 1000) / 3));
  timer.unref();
  return () => clearInterval(timer);
}

/** The ids a message is about, so every log line about it can be found by export (or delivery) id. */
function aboutMessage(msg: ReceivedMessage): Record<string, unknown> {
  const body = (typeof msg.body === "object" && msg.body !== null ? msg.body : {}) as Record<string, unknown>;
  return { messageId: msg.id, exportId: body.exportId, deliveryId: body.deliveryId };
}

export async function runWorker(deps: WorkerDeps, opts: RunnerOptions): Promise<void> {
  const { signal } = opts;
  const waitSeconds = opts.waitSeconds ?? 20;
  const graceMs = opts.graceMs ?? 25_000;
  const visibility = deps.settings.visibilitySeconds;
  const log = deps.log;
  const inFlight = new Map<string, { queue: Queue; msg: ReceivedMessage; work: Promise<void> }>();

  type Handle = (body: unknown, delivery: { receiveCount: number }) => Promise<WorkerOutcome>;

  async function slot(lane: string, queue: Queue, handle: Handle, n: number): Promise<void> {
    while (!signal.aborted) {
      let messages: ReceivedMessage[];
      try {
        messages = await queue.receive({ max: 1, waitSeconds, visibilitySeconds: visibility, signal });
      } catch (err) {
        if (signal.aborted) break;
        log.error({ err, lane, slot: n }, "receive failed; backing off");
        await delay(2000, signal);
        continue;
      }
      for (const msg of messages) {
        const work = (async () => {
          const stop = keepInvisible(queue, msg, visibility);
          try {
            const outcome = await handle(msg.body, { receiveCount: msg.receiveCount });
            if (outcome.kind === "done") await queue.ack(msg.receipt);
            else await queue.release(msg.receipt, outcome.delaySeconds);
          } catch (err) {
            // The handlers only throw for bugs; let the visibility timeout bring the message back.
            log.error({ err, lane, ...aboutMessage(msg) }, "unexpected error handling message");
          } finally {
            stop();
          }
        })();
        inFlight.set(msg.receipt, { queue, msg, work });
        await work;
        inFlight.delete(msg.receipt);
      }
    }
  }

  async function deadLetters(queue: Queue, handle: (body: unknown) => Promise<void>): Promise<void> {
    while (!signal.aborted) {
      try {
        const messages = await queue.receive({ max: 10, waitSeconds, visibilitySeconds: visibility, signal });
        for (const msg of messages) {
          log.warn({ ...aboutMessage(msg), body: msg.body }, "dead letter");
          await handle(msg.body);
          await queue.ack(msg.receipt);
        }
      } catch (err) {
        if (signal.aborted) break;
        log.error({ err }, "dead-letter handling failed; backing off");
        await delay(2000, signal);
      }
    }
  }

  async function sweepTemp(): Promise<void> {
    try {
      const removed = await sweepTempDirs(deps.settings.tempDirs, deps.settings.tempMaxAgeMs);
      if (removed.length > 0) log.warn({ removed }, "swept temp and spool files no live archive owns");
    } catch (err) {
      log.error({ err }, "temp sweep failed");
    }
  }

  async function scheduler(): Promise<void> {
    if (!opts.scheduler) return;
    const { tick, intervalMs } = opts.scheduler;
    while (!signal.aborted) {
      try {
        await tick(); // safe on many workers at once: each slot is claimed with a compare-and-set
      } catch (err) {
        log.error({ err }, "scheduler tick failed");
      }
      await delay(intervalMs, signal);
    }
  }

  async function sweeper(): Promise<void> {
    // At start too: a worker killed with -9 left its scratch files to whoever starts next.
    await sweepTemp();
    const every = opts.sweepIntervalMs ?? 60_000;
    if (every <= 0) return;
    while (!signal.aborted) {
      try {
        const n = await sweepExpired(deps);
        if (n > 0) log.info({ expired: n }, "swept expired exports");
        const requeued = await requeueStaleExports(deps);
        if (requeued > 0) log.warn({ requeued }, "queued exports sent again");
      } catch (err) {
        log.error({ err }, "sweep failed");
      }
      await delay(every, signal);
      if (!signal.aborted) await sweepTemp();
    }
  }

  const deliveryConcurrency = opts.deliveryConcurrency ?? 4;
  log.info({ concurrency: opts.concurrency, deliveryConcurrency }, "worker started");
  const exportLane: Handle = (body, d) => handleQueueMessage(deps, body, d);
  const deliveryLane: Handle = (body) => handleDeliveryMessage(deps, body);
  const loops = [
    ...Array.from({ length: opts.concurrency }, (_, i) => slot("exports", deps.queue, exportLane, i)),
    ...Array.from({ length: deliveryConcurrency }, (_, i) => slot("deliveries", deps.deliveryQueue, deliveryLane, i)),
    deadLetters(deps.deadLetterQueue, (body) => handleDeadLetter(deps, body)),
    deadLetters(deps.deliveryDeadLetterQueue, (body) => handleDeliveryDeadLetter(deps, body)),
    sweeper(),
    scheduler(),
  ];

  // Loops end on abort only after their in-flight message; bound that wait.
  const finished = Promise.all(loops).then(() => "finished" as const);
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
  log.info({ inFlight: inFlight.size }, "stopping: finishing in-flight messages");
  const outcome = await Promise.race([finished, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), graceMs).unref())]);
  if (outcome === "timeout") {
    for (const { queue, msg } of inFlight.values()) {
      await queue.release(msg.receipt, 0).catch(() => undefined);
      log.warn(aboutMessage(msg), "released unfinished message for another worker");
    }
  }
  log.info("worker stopped");
}
