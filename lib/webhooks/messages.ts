/**
 * The webhook lane's queue message: sent when a delivery is scheduled and
 * for each retry; received by workers/dispatch.ts (see workers/messages.ts).
 */
import { z } from "zod";

/**
 * One attempt of one webhook delivery. Each retry is a new message, delayed
 * by the backoff (SQS delays stop at 15 minutes, and a retry schedule of 24
 * hours cannot ride on one message's receive count); `attempt` lets a
 * duplicate of an attempt already recorded be dropped.
 */
export const ZWebhookDeliverMessage = z.object({
  type: z.literal("webhook.deliver"),
  deliveryId: z.string().regex(/^whd_[0-9a-z_]{1,120}$/),
  attempt: z.number().int().min(1).max(1000),
  /** A backoff longer than the queue's maximum delay is covered in hops: a message received before this is sent on again. */
  notBefore: z.iso.datetime().optional(),
});
export type TWebhookDeliverMessage = z.infer<typeof ZWebhookDeliverMessage>;

export function webhookDeliverMessage(deliveryId: string, attempt: number, notBefore?: string): TWebhookDeliverMessage {
  return notBefore ? { type: "webhook.deliver", deliveryId, attempt, notBefore } : { type: "webhook.deliver", deliveryId, attempt };
}
