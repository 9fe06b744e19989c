/**
 * The body of a webhook delivery and its signature. The signature is what the
 * receiver checks: HMAC-SHA256 with the endpoint's secret over
 * `${timestamp}.${body}`, hex, sent as `Webhook-Signature: v1=<hex>`.
 * Signing the timestamp with the body lets receivers refuse replays of old
 * deliveries (compare it with their clock, e.g. within 5 minutes).
 */
import { createHmac } from "node:crypto";
import { z } from "zod";
import { ZExportRecord, type ExportRecord } from "../exports/model";
import { ZWebhookEvent } from "./schemas";

export const ZWebhookPayload = z.object({
  id: z.string().describe("The delivery id (same as the Webhook-Id header)."),
  type: ZWebhookEvent,
  createdAt: z.string(),
  data: z.object({ export: ZExportRecord }),
});
export type TWebhookPayload = z.infer<typeof ZWebhookPayload>;

export function buildPayload(deliveryId: string, type: TWebhookPayload["type"], createdAt: string, record: ExportRecord): string {
  return JSON.stringify({ id: deliveryId, type, createdAt, data: { export: record } } satisfies TWebhookPayload);
}

export function signPayload(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}
