/** The SFTP pusher against a real SFTP server (ssh2's Server): read back, host key pinning, refusals. */
import fs from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SftpPusher } from "@/lib/adapters/destinations/sftp-pusher";
import type { DestinationRecord } from "@/lib/schedules/model";
import { startSftpServer, type TestSftpServer } from "@/test/support/sftp-server";

let server: TestSftpServer;
beforeAll(async () => {
  server = await startSftpServer();
});
afterAll(async () => {
  await server.close();
});

function destination(fingerprint: string | null, directory = "in/daily"): DestinationRecord {
  return {
    id: "dst_0000000000aaaaaaaaaaaa",
    supplierId: "sup_rose",
    name: "ERP",
    config: { kind: "sftp", host: server.host, port: server.port, username: server.username, directory, hostKeyFingerprint: fingerprint, auth: "password" },
    sealedCredentials: "sealed",
    createdBy: "usr_rose",
    createdAt: "2026-03-01T00:00:00.000Z",
  };
}

describe("SftpPusher", () => {
  const pusher = new SftpPusher({ allowLoopback: true, timeoutMs: 5000 });

  it("writes the file into the folder (created), replacing an older one, and reports the host key", async () => {
    const first = await pusher.push(destination(null), server.password, "stock.zip", async () => Readable.from([Buffer.from("first")]));
    expect(first).toEqual({ location: `sftp://${server.host}:${server.port}/in/daily/stock.zip`, hostKeyFingerprint: server.fingerprint });
    await pusher.push(destination(server.fingerprint), server.password, "stock.zip", async () => Readable.from([Buffer.from("second, longer")]));
    expect(await fs.readFile(path.join(server.root, "in/daily/stock.zip"), "utf8")).toBe("second, longer");
    expect(await server.listFiles()).toEqual(["in/daily/stock.zip"]);
  });

  it("refuses a server whose host key is not the pinned one, without retrying", async () => {
    const other = "SHA256:" + "A".repeat(43);
    await expect(pusher.test(destination(other), server.password)).rejects.toMatchObject({ retryable: false, message: expect.stringContaining(server.fingerprint) });
  });

  it("refuses a wrong password without retrying, and a refused connection with retrying", async () => {
    await expect(pusher.test(destination(server.fingerprint), "wrong")).rejects.toMatchObject({ retryable: false, message: expect.stringMatching(/refused the user name/) });
    const closed = { ...destination(null), config: { ...(destination(null).config as Extract<DestinationRecord["config"], { kind: "sftp" }>), port: 1 } };
    await expect(pusher.test(closed, server.password)).rejects.toMatchObject({ retryable: true });
  });

  it("does not connect to loopback or private addresses unless allowed (the supplier chooses the host)", async () => {
    const strict = new SftpPusher({ allowLoopback: false });
    await expect(strict.test(destination(null), server.password)).rejects.toMatchObject({ retryable: false, message: expect.stringMatching(/public addresses only/) });
    const privateHost = { ...destination(null), config: { ...(destination(null).config as Extract<DestinationRecord["config"], { kind: "sftp" }>), host: "10.1.2.3" } };
    await expect(pusher.test(privateHost, server.password)).rejects.toMatchObject({ retryable: false });
  });
});
