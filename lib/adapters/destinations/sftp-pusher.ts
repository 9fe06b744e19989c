/**
 * Pushes files to a supplier's SFTP server (ssh2's client). The server's host
 * key is checked on every connection against the pinned fingerprint; with
 * none pinned yet, the one seen is returned for the caller to pin (trust on
 * first use). The host is resolved once and checked to be public (as webhook
 * targets are), and the connection goes to that address, so a DNS answer
 * cannot change between the check and the connect.
 */
import { createHash } from "node:crypto";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import path from "node:path/posix";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Client, type SFTPWrapper } from "ssh2";
import { PushError, type DestinationPusher, type PushResult } from "@/lib/ports";
import type { DestinationRecord } from "@/lib/schedules/model";
import { refuseAddress } from "@/lib/webhooks/target";

export interface SftpPusherOptions {
  /** Loopback servers allowed (local mode and tests only). */
  allowLoopback: boolean;
  /** Connect and handshake timeout. */
  timeoutMs?: number;
}

type SftpConfig = Extract<DestinationRecord["config"], { kind: "sftp" }>;

/** OpenSSH's fingerprint format (`ssh-keygen -lf`): SHA-256 of the key blob, base64 without padding. */
export function sshFingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash("sha256").update(keyBlob).digest("base64").replace(/=+$/, "")}`;
}

const sameFingerprint = (a: string, b: string) => a.replace(/=+$/, "") === b.replace(/=+$/, "");

export class SftpPusher implements DestinationPusher {
  constructor(private readonly opts: SftpPusherOptions) {}

  async push(destination: DestinationRecord, secret: string | null, fileName: string, open: () => Promise<Readable>): Promise<PushResult> {
    const config = sftpConfig(destination);
    return this.session(config, secret, async (sftp, seen) => {
      const dir = config.directory;
      await mkdirs(sftp, dir);
      const target = path.join(dir, fileName);
      // Written under a hidden name, then renamed: a reader polling the folder never picks up half a file.
      const temp = path.join(dir, `.${fileName}.part`);
      await pipeline(await open(), sftp.createWriteStream(temp));
      await call((cb) => sftp.unlink(target, cb)).catch(() => undefined); // plain SFTP rename does not overwrite
      await call((cb) => sftp.rename(temp, target, cb));
      return { location: `sftp://${config.host}:${config.port}/${target.replace(/^\/+/, "")}`, hostKeyFingerprint: seen };
    });
  }

  async test(destination: DestinationRecord, secret: string | null): Promise<PushResult> {
    const config = sftpConfig(destination);
    return this.session(config, secret, async (sftp, seen) => {
      await mkdirs(sftp, config.directory);
      const probe = path.join(config.directory, `.portal-connection-test-${Date.now()}.txt`);
      await pipeline(Readable.from([Buffer.from("Connection test from the Acme Flowers export portal. Safe to delete.\n")]), sftp.createWriteStream(probe));
      await call((cb) => sftp.unlink(probe, cb));
      return { location: `sftp://${config.host}:${config.port}/${probe.replace(/^\/+/, "")}`, hostKeyFingerprint: seen };
    });
  }

  private async session<T>(config: SftpConfig, secret: string | null, work: (sftp: SFTPWrapper, seenFingerprint: string) => Promise<T>): Promise<T> {
    if (!secret) throw new PushError("This SFTP destination has no password or key stored.", false);
    const address = await this.resolve(config.host);
    const client = new Client();
    let seen = "";
    let mismatch = false;
    try {
      await new Promise<void>((resolve, reject) => {
        client.once("ready", () => resolve());
        client.once("error", (err: Error & { level?: string }) => reject(err));
        client.connect({
          host: address,
          port: config.port,
          username: config.username,
          ...(config.auth === "password" ? { password: secret } : { privateKey: secret }),
          readyTimeout: this.opts.timeoutMs ?? 15_000,
          hostVerifier: (key: Buffer) => {
            seen = sshFingerprint(key);
            mismatch = config.hostKeyFingerprint !== null && !sameFingerprint(config.hostKeyFingerprint, seen);
            return !mismatch;
          },
        });
      });
      const sftp = await new Promise<SFTPWrapper>((resolve, reject) => client.sftp((err, s) => (err ? reject(err) : resolve(s))));
      try {
        return await work(sftp, seen);
      } catch (err) {
        if (err instanceof PushError) throw err;
        // Permission denied or no such folder will not change on retry; a dropped connection may.
        const code = (err as { code?: unknown }).code;
        throw new PushError(`SFTP write failed: ${messageOf(err)}`, !(code === 3 || code === 2), { cause: err });
      }
    } catch (err) {
      if (err instanceof PushError) throw err;
      if (mismatch) {
        throw new PushError(`The server's host key (${seen}) is not the pinned one (${config.hostKeyFingerprint}). If the server's key really changed, enter the new fingerprint.`, false);
      }
      const level = (err as { level?: string }).level;
      if (level === "client-authentication") throw new PushError("The SFTP server refused the user name and password or key.", false, { cause: err });
      throw new PushError(`Could not connect to ${config.host}:${config.port}: ${messageOf(err)}`, true, { cause: err });
    } finally {
      client.end();
    }
  }

  private async resolve(host: string): Promise<string> {
    let address: string;
    try {
      address = isIP(host) ? host : (await lookup(host)).address;
    } catch (err) {
      throw new PushError(`Could not resolve ${host}: ${(err as NodeJS.ErrnoException).code ?? "error"}`, true, { cause: err });
    }
    const why = refuseAddress(address, { allowHttpLocalhost: this.opts.allowLoopback });
    if (why) throw new PushError(`Pushes go to public addresses only: ${why}.`, false);
    return address;
  }
}

function sftpConfig(d: DestinationRecord): SftpConfig {
  if (d.config.kind !== "sftp") throw new PushError(`Destination ${d.id} is not an SFTP destination.`, false);
  return d.config;
}

function call(fn: (cb: (err?: Error | null) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => fn((err) => (err ? reject(err) : resolve())));
}

/** `mkdir -p`: each missing folder in turn (SFTP has no recursive mkdir); existing ones are fine. */
async function mkdirs(sftp: SFTPWrapper, dir: string): Promise<void> {
  if (dir === "." || dir === "/" || dir === "") return;
  const parts = dir.split("/").filter(Boolean);
  let current = dir.startsWith("/") ? "/" : "";
  for (const part of parts) {
    current = current ? path.join(current, part) : part;
    const exists = await new Promise<boolean>((resolve) => sftp.stat(current, (err) => resolve(!err)));
    if (!exists) await call((cb) => sftp.mkdir(current, cb));
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
