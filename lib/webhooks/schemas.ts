/**
 * Request and response schemas of the webhook API, shared by the routes, the
 * service (which validates with them) and the OpenAPI document.
 */
import { z } from "zod";
import { WEBHOOK_EVENTS } from "../ports";

export const ZWebhookEvent = z.enum(WEBHOOK_EVENTS);

export const ZCreateWebhookRequest = z
  .object({
    /** https://… (http://localhost and http://127.0.0.1 only where the server allows it: local mode). */
    url: z.string().min(1).max(2048),
    events: z.array(ZWebhookEvent).min(1).max(WEBHOOK_EVENTS.length).default([...WEBHOOK_EVENTS]),
    description: z.string().trim().max(200).default(""),
  })
  .strict();

/** An endpoint as the API shows it: the signing secret only in the creation response. */
export const ZWebhookEndpoint = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(ZWebhookEvent),
  description: z.string(),
  createdAt: z.string(),
  createdBy: z.string(),
});

export const ZWebhookDelivery = z.object({
  id: z.string().describe("Also the Webhook-Id header of every attempt: deduplicate on it."),
  endpointId: z.string(),
  exportId: z.string(),
  event: ZWebhookEvent,
  status: z.enum(["pending", "delivered", "failed"]),
  attempts: z.number().int(),
  lastAttemptAt: z.string().nullable(),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable().describe("A transport error, or the first 200 characters of the response."),
  nextAttemptAt: z.string().nullable(),
  createdAt: z.string(),
});
