/**
 * One entry for every message on the export queue: validates the body with
 * the union schema (./messages.ts) and hands it to the export worker or the webhook
 * sender by `type`. Used by the local runner and the Lambda handler alike.
 */
import type { ExportDeps } from "@/lib/exports/deps";
import { handleExportMessage, type WorkerOutcome } from "@/lib/exports/worker";
import { handleWebhookMessage, type DeliveryDeps } from "@/lib/webhooks/deliveries";
import { ZQueueMessage } from "./messages";

/** What the workers need: the export domain's deps and the webhook lane's. `AppDeps` is both. */
export type WorkerDeps = ExportDeps & DeliveryDeps;

export async function handleQueueMessage(deps: WorkerDeps, body: unknown, delivery: { receiveCount: number }): Promise<WorkerOutcome> {
  const parsed = ZQueueMessage.safeParse(body);
  if (parsed.success && parsed.data.type === "webhook.deliver") {
    try {
      await handleWebhookMessage(deps, parsed.data);
    } catch (err) {
      // A store fault: let the queue bring this attempt back (its record was not written, so it is not a duplicate).
      deps.log.warn({ err, deliveryId: parsed.data.deliveryId }, "webhook attempt could not be recorded; will retry");
      return { kind: "retry", delaySeconds: 30, error: err instanceof Error ? err.message : String(err) };
    }
    return { kind: "done" };
  }
  // Export messages, and anything malformed (the export worker logs and drops it).
  return handleExportMessage(deps, body, delivery);
}
