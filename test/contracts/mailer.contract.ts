/**
 * Contract for `Mailer` (lib/ports.ts), run by the local outbox and by SES on
 * its emulator. `readSent` reads what the provider received, newest first.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Mailer } from "@/lib/ports";

type SentView = { to: string; subject: string; text: string; html: string };
type MakeMailer = () => Promise<{ mailer: Mailer; readSent: () => Promise<SentView[]>; cleanup: () => Promise<void> }>;

export function testMailer(make: MakeMailer): void {
  describe("Mailer contract", () => {
    let mailer: Mailer;
    let readSent: () => Promise<SentView[]>;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ mailer, readSent, cleanup } = await make());
    });
    afterEach(async () => {
      await cleanup();
    });

    it("sends a message that arrives with its recipient, subject and both bodies", async () => {
      const msg = {
        to: "grower@example.com",
        subject: "Your export “Rosé inventory” is ready",
        text: "Download it here: https://portal.example/exports/exp_1",
        html: '<p>Download it <a href="https://portal.example/exports/exp_1">here</a>.</p>',
        idempotencyKey: "exp_1:ready",
      };
      const { messageId } = await mailer.send(msg);
      expect(typeof messageId).toBe("string");
      expect(messageId.length).toBeGreaterThan(0);
      const sent = await readSent();
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({ to: msg.to, subject: msg.subject, text: msg.text, html: msg.html });
    });

    it("sends distinct messages separately, with distinct ids", async () => {
      const a = await mailer.send({ to: "a@example.com", subject: "A", text: "a", html: "<p>a</p>", idempotencyKey: "k-a" });
      const b = await mailer.send({ to: "b@example.com", subject: "B", text: "b", html: "<p>b</p>", idempotencyKey: "k-b" });
      expect(a.messageId).not.toBe(b.messageId);
      const sent = await readSent();
      expect(sent.map((m) => m.subject).sort()).toEqual(["A", "B"]);
      expect(sent.find((m) => m.subject === "B")?.to).toBe("b@example.com");
    });
  });
}
