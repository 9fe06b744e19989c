/**
 * Scheduled runs on the AWS backend (emulators): the schedule store on
 * DynamoDB, the scheduler Lambda's tick, the window's end read from
 * Redshift's clock (the fake's GetStatementResult), the export worker and the
 * delivery-lane Lambda pushing to a real SFTP server.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDeps, type AppDeps } from "@/lib/config";
import type { Actor } from "@/lib/core/actor";
import { createDestination, createSchedule, getSchedule, runScheduleNow, withSchedules } from "@/lib/schedules/service";
import { DynamoScheduleStore } from "@/lib/adapters/aws/dynamo-schedule-store";
import { handler, runScheduleTick } from "@/workers/sqs";
import { handler as deliveryHandler } from "@/workers/sqs-deliveries";
import { deliverBatch, startAwsBackend, type AwsBackend } from "@/test/support/aws-backend";
import { startSftpServer, type TestSftpServer } from "@/test/support/sftp-server";
import { countInventoryBefore } from "@/test/support/warehouse-rows";

let backend: AwsBackend;
let deps: AppDeps;
let sftp: TestSftpServer;
const rose: Actor = { userId: "usr_rose", email: "rose@suppliers.test", role: "supplier", supplierId: "sup_rose" };

beforeAll(async () => {
  backend = await startAwsBackend({ rows: 1_000 });
  sftp = await startSftpServer();
  Object.assign(process.env, backend.env, {
    INLINE_WAIT_MS: "2000",
    POLL_DELAY_SECONDS: "0",
    RETRY_BASE_SECONDS: "0",
    DESTINATION_RETRY_BASE_SECONDS: "0",
    // The SFTP server below listens on 127.0.0.1; aws mode refuses loopback unless told otherwise.
    DESTINATION_ALLOW_LOOPBACK: "true",
  });
  deps = await getDeps();
}, 120_000);

afterAll(async () => {
  await deps?.close();
  await sftp?.close();
  await backend?.stop();
});

/** Delivers both queues to their Lambda handlers until neither has work left. */
async function drainLambdas(): Promise<void> {
  for (let idle = 0; idle < 2; ) {
    const a = await deliverBatch(backend.sqs, backend.queueUrl, (e) => handler(e));
    const b = await deliverBatch(backend.sqs, backend.deliveryQueueUrl, (e) => deliveryHandler(e));
    idle = a + b === 0 ? idle + 1 : 0;
  }
}

describe("scheduled runs on AWS (emulators)", () => {
  it("ticks on DynamoDB once for two overlapping scheduler invocations, exports through Redshift's window and pushes to SFTP", async () => {
    expect(deps.schedules?.store).toBeInstanceOf(DynamoScheduleStore);
    const s = withSchedules(deps);
    const dest = await createDestination(s, rose, { kind: "sftp", name: "ERP", host: sftp.host, port: sftp.port, username: sftp.username, password: sftp.password, directory: "in" });
    const { schedule } = await createSchedule(s, rose, {
      name: "Nightly",
      request: { dataset: "product_inventory", params: {}, notify: false },
      cadence: { kind: "daily", time: "02:00" },
      timezone: "Europe/Amsterdam",
      incremental: true,
      destinationIds: [dest.id],
    });
    await runScheduleNow(s, rose, schedule.id);

    // Two scheduler invocations at once (EventBridge may overlap a slow one): one run.
    const before = new Date().toISOString();
    const [a, b] = await Promise.all([runScheduleTick(deps), runScheduleTick(deps)]);
    expect([a.outcomes[schedule.id], b.outcomes[schedule.id]].filter((o) => o === "started")).toHaveLength(1);
    await drainLambdas();

    let view = (await getSchedule(s, rose, schedule.id)).schedule;
    expect(view).toMatchObject({ lastRunStatus: "delivered", pendingRun: null });
    // The window's end came from Redshift's clock (the fake answers with its host's time).
    expect(Date.parse(view.cursor!)).toBeGreaterThanOrEqual(Date.parse(before) - 1000);
    const files = (await sftp.listFiles()).filter((f) => f.endsWith(".zip"));
    expect(files).toHaveLength(1);
    const csv = execFileSync("unzip", ["-p", path.join(sftp.root, files[0]!)], { encoding: "utf8" });
    const rows = csv.split("\n").filter((l) => l.startsWith("FLOWER")).length;
    expect(rows).toBe(await countInventoryBefore(backend.dbPath, "sup_rose", view.cursor!));
    expect(rows).toBeGreaterThan(0);

    // The next run's window starts at the cursor: nothing changed since, so it carries no rows.
    await runScheduleNow(s, rose, schedule.id);
    await runScheduleTick(deps);
    await drainLambdas();
    view = (await getSchedule(s, rose, schedule.id)).schedule;
    const second = await deps.jobs.getExport(view.lastExportId!);
    expect(second).toMatchObject({ status: "ready", scheduleId: schedule.id, rowCount: 0 });
    // Nothing to push, so the run counts as delivered and the cursor moves to its window's end.
    expect(view.lastRunStatus).toBe("delivered");
    expect(second!.params).toMatchObject({ updatedSince: expect.any(String), updatedBefore: view.cursor });
  });
});
