// Lambda entry point subscribed to the mail-events SNS topic (sst.config.ts): records SES's hard bounces and complaints as suppressions.
import { getDeps, type AppDeps } from "@/lib/config";

/** One SNS delivery as Lambda receives it (the fields we read). */
export interface SnsEvent {
  Records: Array<{ Sns: { MessageId: string; Message: string; Timestamp?: string } }>;
}

interface Recipient {
  emailAddress: string;
  diagnosticCode?: string;
}

/**
 * The SES message inside: event publishing (a configuration set's event
 * destination) names its kind `eventType`; identity feedback notifications
 * name it `notificationType`. Both carry the same `bounce` / `complaint`.
 */
interface SesMessage {
  eventType?: string;
  notificationType?: string;
  bounce?: { bounceType?: string; bounceSubType?: string; bouncedRecipients?: Recipient[]; timestamp?: string };
  complaint?: { complainedRecipients?: Recipient[]; complaintFeedbackType?: string; timestamp?: string };
}

type Suppressions = NonNullable<AppDeps["mailSuppressions"]>;

export const handler = async (event: SnsEvent): Promise<{ recorded: number }> => {
  const deps = await getDeps();
  if (!deps.mailSuppressions) throw new Error("ses-events: no suppression store (EXPORT_BACKEND is not aws)");
  return recordMailEvents(deps.mailSuppressions, event, deps.log);
};

/**
 * Records every hard bounce and complaint of the batch. Transient bounces
 * (mailbox full, greylisting) are not suppressed: SES retries those itself.
 * A malformed message is logged and skipped (SNS would redeliver it forever);
 * a store failure throws, so Lambda retries the delivery.
 */
export async function recordMailEvents(store: Suppressions, event: SnsEvent, log: Pick<AppDeps["log"], "warn" | "info">): Promise<{ recorded: number }> {
  let recorded = 0;
  for (const record of event.Records) {
    let message: SesMessage;
    try {
      message = JSON.parse(record.Sns.Message) as SesMessage;
    } catch {
      log.warn({ messageId: record.Sns.MessageId }, "mail event is not JSON; skipped");
      continue;
    }
    const kind = message.eventType ?? message.notificationType;
    const at = record.Sns.Timestamp ?? new Date().toISOString();
    if (kind === "Bounce" && message.bounce?.bounceType === "Permanent") {
      for (const r of message.bounce.bouncedRecipients ?? []) {
        await store.record({ email: r.emailAddress, reason: "bounce", at: message.bounce.timestamp ?? at, detail: r.diagnosticCode ?? message.bounce.bounceSubType ?? "" });
        recorded++;
      }
    } else if (kind === "Complaint") {
      for (const r of message.complaint?.complainedRecipients ?? []) {
        await store.record({ email: r.emailAddress, reason: "complaint", at: message.complaint?.timestamp ?? at, detail: message.complaint?.complaintFeedbackType ?? "" });
        recorded++;
      }
    }
  }
  if (recorded > 0) log.info({ recorded }, "mail suppressions recorded");
  return { recorded };
}
