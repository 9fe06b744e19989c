import { GetCommand, PutCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { resolveClient, type ClientSource } from "./clients";
import { suppressionKey } from "./dynamo-schema";

export interface MailSuppression {
  /** Lower-cased address. */
  email: string;
  reason: "bounce" | "complaint";
  /** When SES reported it (ISO 8601). */
  at: string;
  /** SES's words for it: the bounce's diagnostic, or the complaint's feedback type. */
  detail: string;
}

export interface DynamoMailSuppressionsOptions {
  client: ClientSource<DynamoDBDocumentClient>;
  tableName: string;
}

/**
 * Addresses SES reported as a hard bounce or a complaint (through the
 * configuration set's event destination, recorded by workers/ses-events.ts),
 * one `SUPPRESSED#<email>` item each in the portal's table, where an operator
 * can read them (and delete one to lift it). The SES mailer checks here
 * before sending; SES's own suppression list (set on the configuration set)
 * drops what gets past, but still counts it against the sending quota.
 */
export class DynamoMailSuppressions {
  constructor(private readonly opts: DynamoMailSuppressionsOptions) {
    if (!opts.tableName) throw new Error("DynamoMailSuppressions: tableName is required");
  }

  private get db(): DynamoDBDocumentClient {
    return resolveClient(this.opts.client);
  }

  /** Records (or refreshes) a suppression; the latest report wins. */
  async record(s: MailSuppression): Promise<void> {
    const email = s.email.trim().toLowerCase();
    await this.db.send(new PutCommand({ TableName: this.opts.tableName, Item: { ...suppressionKey(email), email, reason: s.reason, at: s.at, detail: s.detail } }));
  }

  async get(email: string): Promise<MailSuppression | null> {
    const out = await this.db.send(new GetCommand({ TableName: this.opts.tableName, Key: suppressionKey(email), ConsistentRead: true }));
    if (!out.Item) return null;
    const { email: address, reason, at, detail } = out.Item as Record<string, string>;
    return { email: address!, reason: reason as MailSuppression["reason"], at: at!, detail: detail ?? "" };
  }

  async isSuppressed(email: string): Promise<boolean> {
    return (await this.get(email)) !== null;
  }
}
