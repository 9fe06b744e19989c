import { createHash, randomUUID } from "node:crypto";
import { link, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { MailMessage, Mailer, SentMail } from "@/lib/ports";
import { newId } from "@/lib/core/ids";

export interface OutboxMailerOptions {
  /** Directory the messages are written to (created on first send). */
  dir: string;
  /** Sender address recorded on every message. */
  from: string;
}

/** Tie-breaker for messages written by this process within one millisecond. */
let sequence = 0;

/**
 * The local "mail provider": every message becomes a JSON file in `dir`, which
 * people and e2e tests read. File names start with the send time, so they sort
 * by time. Deduplicates on `idempotencyKey`, across processes, through an
 * exclusive key file created before the message is written.
 */
export class OutboxMailer implements Mailer {
  private readonly dir: string;
  private readonly keysDir: string;
  private readonly from: string;

  constructor(opts: OutboxMailerOptions) {
    this.dir = path.resolve(opts.dir);
    this.keysDir = path.join(this.dir, "keys");
    this.from = opts.from;
  }

  async send(msg: MailMessage): Promise<{ messageId: string }> {
    if (!msg.idempotencyKey) throw new Error("send: idempotencyKey is required");
    await mkdir(this.keysDir, { recursive: true });
    const now = Date.now();
    const messageId = newId("msg", now);
    const keyFile = path.join(this.keysDir, createHash("sha256").update(msg.idempotencyKey).digest("hex"));

    // link() creates the key file atomically *with* its content, so a concurrent
    // sender never reads a half-written id; EEXIST means someone already sent it.
    const pending = path.join(this.keysDir, `.pending-${randomUUID()}`);
    await writeFile(pending, messageId, { flag: "wx" });
    try {
      await link(pending, keyFile);
    } catch (err) {
      if ((err as { code?: unknown }).code === "EEXIST") return { messageId: (await readFile(keyFile, "utf8")).trim() };
      throw err;
    } finally {
      await rm(pending, { force: true });
    }

    const sent: SentMail = {
      to: msg.to,
      from: this.from,
      subject: msg.subject,
      text: msg.text,
      html: msg.html,
      sentAt: new Date(now).toISOString(),
      messageId,
    };
    const seq = (sequence = (sequence + 1) % 1_000_000);
    const name = `${String(now).padStart(15, "0")}-${String(seq).padStart(6, "0")}-${messageId}.json`;
    // Written aside and renamed, so a reader never parses half a message.
    const tmp = path.join(this.keysDir, `.msg-${randomUUID()}`);
    await writeFile(tmp, JSON.stringify(sent, null, 2));
    await rename(tmp, path.join(this.dir, name));
    return { messageId };
  }

  async listSent(limit: number): Promise<SentMail[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as { code?: unknown }).code === "ENOENT") return [];
      throw err;
    }
    const newest = names
      .filter((n) => n.endsWith(".json"))
      .sort()
      .reverse()
      .slice(0, Math.max(0, limit));
    return Promise.all(newest.map(async (n) => JSON.parse(await readFile(path.join(this.dir, n), "utf8")) as SentMail));
  }
}
