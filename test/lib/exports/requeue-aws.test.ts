/**
 * Pins issue 12 finding 4 in aws mode, on emulators: the DynamoDB write of an
 * export happened, the SQS send did not (the process died between them).
 * The requeue sweep's Lambda handler finds it through the byStatusUpdated
 * index, sends it again, and the export queue's Lambda handler finishes it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDeps, type AppDeps } from "@/lib/config";
import type { Actor } from "@/lib/core/actor";
import { requeueAll, handler } from "@/workers/sqs";
import { requestAndDieBeforeSend } from "@/test/support/crash";
import { deliverBatch, startAwsBackend, type AwsBackend } from "@/test/support/aws-backend";

let backend: AwsBackend;
let deps: AppDeps;
const savedEnv = { ...process.env };
const rose: Actor = { userId: "usr_rose", email: "rose@suppliers.test", role: "supplier", supplierId: "sup_rose" };

beforeAll(async () => {
  backend = await startAwsBackend({ rows: 300 });
  Object.assign(process.env, backend.env, { REQUEUE_AFTER_SECONDS: "60" });
  delete (globalThis as { __exportDeps?: unknown }).__exportDeps;
  deps = await getDeps();
}, 120_000);

afterAll(async () => {
  await deps?.close();
  delete (globalThis as { __exportDeps?: unknown }).__exportDeps;
  process.env = savedEnv;
  await backend?.stop();
});

describe("the requeue sweep in aws mode", () => {
  it("sends an export whose SQS message was never sent again, and the worker finishes it", async () => {
    const id = await requestAndDieBeforeSend(deps, rose, { dataset: "product_detail", params: {}, notify: false });
    expect((await deps.jobs.getExport(id))?.status).toBe("queued");
    expect(await deps.queue.depth()).toBe(0);

    const realNow = deps.now;
    deps.now = () => new Date(Date.now() + 61_000);
    try {
      // The index is eventually consistent: poll the sweep (dynalite is immediate; DynamoDB lags a moment).
      let requeued = 0;
      for (let i = 0; i < 50 && requeued === 0; i++) requeued = (await requeueAll(deps)).requeued;
      expect(requeued).toBe(1);
    } finally {
      deps.now = realNow;
    }
    const deadline = Date.now() + 60_000;
    while ((await deps.jobs.getExport(id))?.status !== "ready") {
      if (Date.now() > deadline) throw new Error("export did not finish");
      await deliverBatch(backend.sqs, backend.queueUrl, handler);
    }
    expect(await deps.jobs.countActive("sup_rose")).toBe(0);
  }, 90_000);
});
