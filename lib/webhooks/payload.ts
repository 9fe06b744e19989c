/**
 * The body of a webhook delivery and its signature. The signature is what the
 * receiver checks: HMAC-SHA256 with the endpoint's secret over
 * `${timestamp}.${body}`, hex, sent as `Webhook-Signature: v1=<hex>`.
 * Signing the timestamp with the body lets receivers refuse replays of old
 * deliveries (compare it with their clock, e.g. within 5 minutes).
 */
import { createHmac, timingSafeEqual } from "node:crypto";
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

/** The receiver's check, as documented on /docs/api (tests use it to verify real deliveries). */
export function verifySignature(secret: string, headers: { timestamp: string | null; signature: string | null }, body: string, nowSeconds = Math.floor(Date.now() / 1000), toleranceSeconds = 300): boolean {
  const ts = Number(headers.timestamp);
  if (!Number.isInteger(ts) || Math.abs(nowSeconds - ts) > toleranceSeconds || !headers.signature) return false;
  const expected = Buffer.from(createHmac("sha256", secret).update(`${ts}.${body}`).digest("hex"));
  return headers.signature
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.startsWith("v1="))
    .some((s) => {
      const got = Buffer.from(s.slice(3));
      return got.length === expected.length && timingSafeEqual(got, expected);
    });
}
