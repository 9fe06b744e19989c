/**
 * One entry for every message on the export queue: validates the body with
 * the shared union schema and hands it to the export worker. Webhook messages
 * belong to the delivery lane (workers/delivery-dispatch.ts); one found here
 * (sent before the lane existed) is moved there at once, so it never holds an
 * export slot for an attempt. Used by the local runner and the Lambda handler alike.
 */
import type { ExportDeps } from "@/lib/exports/deps";
import { handleExportMessage, type ExportDelivery, type WorkerOutcome } from "@/lib/exports/worker";
import type { Queue } from "@/lib/ports";
import type { DeliveryDeps } from "@/lib/webhooks/deliveries";
import type { ScheduleSupport } from "@/lib/schedules/deps";
import type { PasswordResetDeps } from "@/lib/teams/accounts";
import { ZQueueMessage } from "./messages";

/**
 * What the workers need: the export domain's deps and the delivery lane's
 * (its queue, its dead-letter queue, the claim store for its caps), and what
 * mailing a reset link takes. `AppDeps` is all of them.
 */
export type WorkerDeps = ExportDeps & DeliveryDeps & PasswordResetDeps & { deliveryDeadLetterQueue: Queue; schedules: ScheduleSupport };

export async function handleQueueMessage(deps: WorkerDeps, body: unknown, delivery: ExportDelivery): Promise<WorkerOutcome> {
  const parsed = ZQueueMessage.safeParse(body);
  if (parsed.success && parsed.data.type === "webhook.deliver") {
    try {
      await deps.deliveryQueue.send(parsed.data);
    } catch (err) {
      return { kind: "retry", delaySeconds: 30 };
    }
    return { kind: "done" };
  }
  // Export messages, and anything malformed (the export worker logs and drops it).
  return handleExportMessage(deps, body, delivery);
}
