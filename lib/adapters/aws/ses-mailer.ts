import { SendEmailCommand, type SESClient } from "@aws-sdk/client-ses";
import type { MailMessage, Mailer, SentMail } from "@/lib/ports";
import { BackendError } from "@/lib/core/errors";
import { awsErrorMessage, awsErrorName } from "./aws-errors";
import { resolveClient, type ClientSource } from "./clients";

export interface SesMailerOptions {
  client: ClientSource<SESClient>;
  /** Sender, e.g. `Acme Flowers Exports <exports@acmeflowers.com>`; its address or domain must be verified in SES. */
  from: string;
  /** SES configuration set: suppresses and publishes bounces and complaints (sst.config.ts). */
  configurationSet?: string;
  /** Addresses that bounced or complained: nothing is sent to them. */
  suppressions?: { isSuppressed(address: string): Promise<boolean> };
}

/** SES refusals that no retry can fix: the message or the sender is wrong. */
const PERMANENT = new Set([
  "MessageRejected",
  "MailFromDomainNotVerifiedException",
  "ConfigurationSetDoesNotExistException",
  "ConfigurationSetSendingPausedException",
  "AccountSendingPausedException",
  "InvalidParameterValue",
]);

/**
 * The Mailer port on Amazon SES (v1 `SendEmail`), sender from config. SES
 * cannot deduplicate: the idempotency key is sent as a message tag (for
 * tracing in SES events) and the worker's `notifiedAt` compare-and-set is
 * what keeps a redelivered step from mailing twice. SES keeps no readable
 * outbox, so `listSent` returns null. An address on the suppression list is
 * refused before SES is called (a permanent `mail_rejected`): a hard bounce
 * or a complaint stops all further mail to it.
 */
export class SesMailer implements Mailer {
  private readonly source: ClientSource<SESClient>;
  private readonly from: string;
  private readonly configurationSet: string | undefined;
  private readonly suppressions: SesMailerOptions["suppressions"];

  constructor(opts: SesMailerOptions) {
    if (!opts.from || !opts.from.includes("@")) throw new Error(`SesMailer: "from" must be an email address, got ${JSON.stringify(opts.from)}`);
    this.source = opts.client;
    this.from = opts.from;
    this.configurationSet = opts.configurationSet;
    this.suppressions = opts.suppressions;
  }

  async send(msg: MailMessage): Promise<{ messageId: string }> {
    if (!msg.idempotencyKey) throw new Error("send: idempotencyKey is required");
    if (await this.suppressions?.isSuppressed(msg.to)) {
      throw new BackendError("mail_rejected", `${msg.to} bounced or complained earlier and is suppressed; no mail is sent to it`, false);
    }
    try {
      const out = await resolveClient(this.source).send(
        new SendEmailCommand({
          Source: this.from,
          Destination: { ToAddresses: [msg.to] },
          Message: {
            Subject: { Data: msg.subject, Charset: "UTF-8" },
            Body: { Text: { Data: msg.text, Charset: "UTF-8" }, Html: { Data: msg.html, Charset: "UTF-8" } },
          },
          // Tag values allow only [A-Za-z0-9_-.@]: keep the key readable, drop the rest.
          Tags: [{ Name: "idempotency-key", Value: msg.idempotencyKey.replace(/[^A-Za-z0-9_\-.@]/g, "_").slice(0, 256) }],
          ConfigurationSetName: this.configurationSet,
        }),
      );
      if (!out.MessageId) throw new Error("SES SendEmail returned no MessageId");
      return { messageId: out.MessageId };
    } catch (err) {
      const name = awsErrorName(err);
      if (PERMANENT.has(name)) throw new BackendError("mail_rejected", `SES refused the message: ${awsErrorMessage(err)}`, false, { cause: err });
      throw err;
    }
  }

  async listSent(_limit: number): Promise<SentMail[] | null> {
    return null;
  }
}
