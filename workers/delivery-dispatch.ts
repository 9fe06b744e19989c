/**
 * The delivery lane's one entry (issue 12, finding 2): every message on
 * `deliveryQueue` is handed to the handler of its `type`, by the local
 * runner's delivery slots and the delivery queue's Lambda alike. Another kind
 * of delivery (helper "sched"'s `destination.deliver` pushes to S3/SFTP)
 * plugs in with one entry in `DELIVERY_HANDLERS`: a handler parses its own
 * message schema and does one bounded attempt; a throw means a store fault,
 * and the queue brings the message back.
 */
import type { z } from "zod";
import type { WorkerDeps } from "./dispatch";
import { ZWebhookDeliverMessage } from "@/lib/webhooks/messages";
import type { WorkerOutcome } from "@/lib/exports/worker";
import { handleWebhookMessage } from "@/lib/webhooks/deliveries";
import { handleDestinationMessage, ZDestinationDeliverMessage } from "@/lib/schedules/push";
import { sendPasswordReset, ZPasswordResetMessage } from "@/lib/teams/accounts";

/** One kind of delivery: the schema of its message, and one bounded attempt. */
export interface DeliveryHandler {
  schema: z.ZodType;
  handle(deps: WorkerDeps, msg: unknown): Promise<void>;
}

function deliveryHandler<S extends z.ZodType>(schema: S, handle: (deps: WorkerDeps, msg: z.infer<S>) => Promise<void>): DeliveryHandler {
  return { schema, handle: (deps, msg) => handle(deps, msg as z.infer<S>) };
}

/** How long a message whose handler threw waits before it comes back. */
const STORE_FAULT_RETRY_SECONDS = 30;

export const DELIVERY_HANDLERS: Readonly<Record<string, DeliveryHandler>> = {
  "webhook.deliver": deliveryHandler(ZWebhookDeliverMessage, handleWebhookMessage),
  "destination.deliver": deliveryHandler(ZDestinationDeliverMessage, handleDestinationMessage),
  // Forgot-password requests (issue 15): looked up and mailed here, so the request answers after the same work for any address.
  "password.reset": deliveryHandler(ZPasswordResetMessage, sendPasswordReset),
};

function typeOf(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const type = (body as { type?: unknown }).type;
  return typeof type === "string" ? type : undefined;
}

export async function handleDeliveryMessage(deps: WorkerDeps, body: unknown): Promise<WorkerOutcome> {
  const type = typeOf(body);
  const handler = type !== undefined && Object.hasOwn(DELIVERY_HANDLERS, type) ? DELIVERY_HANDLERS[type] : undefined;
  if (!handler) {
    // Can never succeed: drop it rather than let it cycle to the dead-letter queue.
    deps.log.error({ body }, "dropping a delivery-lane message of unknown type");
    return { kind: "done" };
  }
  const parsed = handler.schema.safeParse(body);
  if (!parsed.success) {
    deps.log.error({ body, issues: parsed.error.issues }, "dropping malformed delivery message");
    return { kind: "done" };
  }
  try {
    await handler.handle(deps, parsed.data);
    return { kind: "done" };
  } catch (err) {
    // A store fault: its attempt record was not written, so bringing the message back is no duplicate.
    deps.log.warn({ err, type }, "delivery could not be recorded; will retry");
    return { kind: "retry", delaySeconds: STORE_FAULT_RETRY_SECONDS };
  }
}

/** A delivery-lane message that failed every receive: nothing to mark (attempts are recorded per attempt); say so loudly. */
export async function handleDeliveryDeadLetter(deps: WorkerDeps, body: unknown): Promise<void> {
  deps.log.error({ body, type: typeOf(body) }, "delivery message dead-lettered after repeated store faults");
}
