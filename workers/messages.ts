/**
 * Every message on the export queue, as one union the workers validate each
 * body with before dispatching on `type` (a webhook message found there was
 * sent before the delivery lane existed and is moved to it; the lane's own
 * dispatch is workers/delivery-dispatch.ts). Each lane owns its message schema;
 * only the workers, which receive them all, know the whole list.
 */
import { z } from "zod";
import { ZExportMessage } from "@/lib/exports/messages";
import { ZWebhookDeliverMessage } from "@/lib/webhooks/messages";

export const ZQueueMessage = z.discriminatedUnion("type", [ZExportMessage, ZWebhookDeliverMessage]);
