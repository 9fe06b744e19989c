import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OutboxMailer } from "../adapters/local/outbox-mailer";
import { listOutboxFor } from "./dev-outbox";

let dir: string;
let mailer: OutboxMailer;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "pep-outbox-"));
  mailer = new OutboxMailer({ dir, from: "exports@acmeflowers.test" });
  for (const [to, n] of [["rose@suppliers.test", 2], ["tulip@suppliers.test", 3]] as const) {
    for (let i = 0; i < n; i++) await mailer.send({ to, subject: `for ${to} ${i}`, text: "x", html: "<p>x</p>", idempotencyKey: `${to}-${i}` });
  }
});
afterEach(() => fs.rm(dir, { recursive: true, force: true }));

describe("listOutboxFor (issue 12, finding 8)", () => {
  it("shows a supplier only mail sent to them, and an admin everything", async () => {
    const rose = await listOutboxFor(mailer, { userId: "u1", email: "Rose@Suppliers.test", role: "supplier", supplierId: "sup_rose" }, 100);
    expect(rose!.map((m) => m.to)).toEqual(["rose@suppliers.test", "rose@suppliers.test"]);
    const admin = await listOutboxFor(mailer, { userId: "u2", email: "admin@acmeflowers.test", role: "admin", supplierId: null }, 100);
    expect(admin).toHaveLength(5);
    expect(await listOutboxFor(mailer, { userId: "u1", email: "rose@suppliers.test", role: "supplier", supplierId: "sup_rose" }, 1)).toHaveLength(1);
  });
});
