/** OutboxMailer: the Mailer contract, plus what only the outbox promises (one send per idempotency key across instances, the listing the dev mail page reads). */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OutboxMailer } from "@/lib/adapters/local/outbox-mailer";
import { testMailer } from "@/test/contracts/mailer.contract";

async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "pep-local-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

describe("OutboxMailer", () => {
  testMailer(async () => {
    const { dir, remove } = await tempDir();
    const mailer = new OutboxMailer({ dir, from: "Acme Flowers <exports@acmeflowers.test>" });
    return {
      mailer,
      readSent: async () => (await mailer.listSent(100)) ?? [],
      cleanup: remove,
    };
  });

  describe("local behaviour", () => {
    let dir: string;
    let remove: () => Promise<void>;

    beforeEach(async () => {
      ({ dir, remove } = await tempDir());
    });
    afterEach(async () => {
      await remove();
    });

    const msg = (key: string, subject = "Ready") => ({
      to: "grower@example.com",
      subject,
      text: "t",
      html: "<p>t</p>",
      idempotencyKey: key,
    });

    it("sends a message once per idempotency key, across instances and concurrent sends", async () => {
      const web = new OutboxMailer({ dir, from: "a@x.test" });
      const worker = new OutboxMailer({ dir, from: "a@x.test" });
      const first = await web.send(msg("exp_1:ready"));
      const again = await worker.send(msg("exp_1:ready", "Different subject, same key"));
      expect(again.messageId).toBe(first.messageId);

      const racing = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? web : worker).send(msg("exp_2:ready"))));
      expect(new Set(racing.map((r) => r.messageId)).size).toBe(1);

      const sent = (await web.listSent(100)) ?? [];
      expect(sent.map((m) => m.subject)).toEqual(["Ready", "Ready"]);
      expect(sent.map((m) => m.messageId).sort()).toEqual([first.messageId, racing[0]!.messageId].sort());
      expect((await readdir(dir)).filter((n) => n.endsWith(".json"))).toHaveLength(2);
    });

    it("lists newest first, with from and sentAt, up to limit", async () => {
      const mailer = new OutboxMailer({ dir, from: "Acme <a@x.test>" });
      for (let i = 0; i < 5; i++) await mailer.send(msg(`k${i}`, `S${i}`));
      const sent = (await mailer.listSent(3)) ?? [];
      expect(sent.map((m) => m.subject)).toEqual(["S4", "S3", "S2"]);
      expect(sent[0]).toMatchObject({ from: "Acme <a@x.test>", to: "grower@example.com", text: "t", html: "<p>t</p>" });
      expect(Number.isNaN(Date.parse(sent[0]!.sentAt))).toBe(false);
      const names = (await readdir(dir)).filter((n) => n.endsWith(".json"));
      expect(names).toEqual([...names].sort());
    });

    it("lists nothing before the first send", async () => {
      expect(await new OutboxMailer({ dir: path.join(dir, "none"), from: "a@x.test" }).listSent(10)).toEqual([]);
    });
  });
});
