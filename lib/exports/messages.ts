/**
 * The queue message schemas, shared by the side that sends (routes, the
 * worker's poll, webhook scheduling) and the side that receives (workers
 * re-validate every body and dispatch on `type`).
 */
import { z } from "zod";
import { ZExportIdPattern } from "../core/ids";

export const ZExportMessage = z.object({
  type: z.literal("export.process"),
  exportId: z.string().regex(ZExportIdPattern),
  /** Why it was sent; for logs only. */
  reason: z.enum(["requested", "poll", "retry"]).default("requested"),
});
export type TExportMessage = z.infer<typeof ZExportMessage>;

export function exportMessage(exportId: string, reason: TExportMessage["reason"]): TExportMessage {
  return { type: "export.process", exportId, reason };
}

/**
 * Send options for an export's messages: the queue shares deliveries fairly between suppliers
 * (admins' all-supplier exports are one more share), so one supplier's burst cannot starve the rest.
 */
export function exportSendOptions(record: { supplierId: string | null }, delaySeconds?: number): { fairShareKey: string; delaySeconds?: number } {
  return { fairShareKey: record.supplierId ?? "all-suppliers", ...(delaySeconds === undefined ? {} : { delaySeconds }) };
}

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

/** Every message on the export queue. */
export const ZQueueMessage = z.discriminatedUnion("type", [ZExportMessage, ZWebhookDeliverMessage]);
export type TQueueMessage = z.infer<typeof ZQueueMessage>;
