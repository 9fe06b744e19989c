/**
 * TEST ONLY: a real SFTP server (ssh2's Server speaking the SFTP subsystem)
 * on 127.0.0.1, serving a temp folder, with password auth and a fresh
 * ed25519 host key. Enough of the protocol for what a client pushing files
 * does: stat, mkdir, open/write/close, rename, remove, realpath. `refuse` and
 * `stop` let tests make deliveries fail.
 */
import fs from "node:fs";
import fsp from "node:fs/promises";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import ssh2, { type Connection, type SFTPWrapper } from "ssh2";
import { sshFingerprint } from "@/lib/adapters/destinations/sftp-pusher";

const { Server, utils } = ssh2;
const STATUS = utils.sftp.STATUS_CODE;
const OPEN = utils.sftp.OPEN_MODE;

export interface TestSftpServer {
  host: string;
  port: number;
  username: string;
  password: string;
  /** `SHA256:...` of the server's host key, as ssh-keygen prints it. */
  fingerprint: string;
  /** The folder clients see as "/". */
  root: string;
  /** While true, every login is refused (as a changed password would be). */
  refuseLogins: boolean;
  /** Files under the root (relative paths, sorted), hidden ones included. */
  listFiles(): Promise<string[]>;
  close(): Promise<void>;
}

export async function startSftpServer(opts: { port?: number; username?: string; password?: string } = {}): Promise<TestSftpServer> {
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), "pep-sftp-"));
  const username = opts.username ?? "rose";
  const password = opts.password ?? "sftp-password";
  const hostKey = utils.generateKeyPairSync("ed25519");
  const parsed = utils.parseKey(hostKey.private);
  if (parsed instanceof Error) throw parsed;
  const key = Array.isArray(parsed) ? parsed[0]! : parsed;
  const fingerprint = sshFingerprint(key.getPublicSSH());
  const connections = new Set<Connection>();

  const state = { refuseLogins: false };
  const server = new Server({ hostKeys: [hostKey.private] }, (client) => {
    connections.add(client);
    client.on("close", () => connections.delete(client));
    client.on("error", () => undefined);
    client.on("authentication", (ctx) => {
      if (!state.refuseLogins && ctx.method === "password" && ctx.username === username && ctx.password === password) ctx.accept();
      else ctx.reject(["password"]);
    });
    client.on("ready", () => {
      client.on("session", (acceptSession) => {
        const session = acceptSession();
        session.on("sftp", (acceptSftp) => serveSftp(acceptSftp(), root));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    host: "127.0.0.1",
    port,
    username,
    password,
    fingerprint,
    root,
    get refuseLogins() {
      return state.refuseLogins;
    },
    set refuseLogins(v: boolean) {
      state.refuseLogins = v;
    },
    async listFiles() {
      const out: string[] = [];
      async function walk(dir: string) {
        for (const e of await fsp.readdir(dir, { withFileTypes: true })) {
          const p = path.join(dir, e.name);
          if (e.isDirectory()) await walk(p);
          else out.push(path.relative(root, p));
        }
      }
      await walk(root);
      return out.sort();
    },
    async close() {
      for (const c of connections) c.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fsp.rm(root, { recursive: true, force: true });
    },
  };
}

/** Serves one SFTP session from `root` (paths outside it are refused). */
function serveSftp(sftp: SFTPWrapper, root: string): void {
  const handles = new Map<number, number>();
  let next = 1;
  const resolve = (p: string): string | null => {
    const full = path.resolve(root, `.${path.posix.resolve("/", p)}`);
    return full === root || full.startsWith(root + path.sep) ? full : null;
  };
  const fail = (reqid: number, err: unknown) => sftp.status(reqid, (err as NodeJS.ErrnoException).code === "ENOENT" ? STATUS.NO_SUCH_FILE : STATUS.FAILURE);
  const attrsOf = (st: fs.Stats) => ({ mode: st.mode, uid: st.uid, gid: st.gid, size: st.size, atime: Math.floor(st.atimeMs / 1000), mtime: Math.floor(st.mtimeMs / 1000) });

  sftp.on("REALPATH", (reqid, p) => {
    const name = path.posix.resolve("/", p);
    sftp.name(reqid, [{ filename: name, longname: name, attrs: {} as never }]);
  });
  for (const op of ["STAT", "LSTAT"] as const) {
    sftp.on(op, (reqid: number, p: string) => {
      const full = resolve(p);
      if (!full) return sftp.status(reqid, STATUS.PERMISSION_DENIED);
      fs.stat(full, (err, st) => (err ? fail(reqid, err) : sftp.attrs(reqid, attrsOf(st))));
    });
  }
  sftp.on("MKDIR", (reqid, p) => {
    const full = resolve(p);
    if (!full) return sftp.status(reqid, STATUS.PERMISSION_DENIED);
    fs.mkdir(full, (err) => (err ? fail(reqid, err) : sftp.status(reqid, STATUS.OK)));
  });
  sftp.on("OPEN", (reqid, filename, flags) => {
    const full = resolve(filename);
    if (!full) return sftp.status(reqid, STATUS.PERMISSION_DENIED);
    const mode = flags & OPEN.WRITE ? (flags & OPEN.APPEND ? "a" : "w") : "r";
    fs.open(full, mode, (err, fd) => {
      if (err) return fail(reqid, err);
      const id = next++;
      handles.set(id, fd);
      const handle = Buffer.alloc(4);
      handle.writeUInt32BE(id);
      sftp.handle(reqid, handle);
    });
  });
  const fdOf = (handle: Buffer) => (handle.length === 4 ? handles.get(handle.readUInt32BE(0)) : undefined);
  sftp.on("WRITE", (reqid, handle, offset, data) => {
    const fd = fdOf(handle);
    if (fd === undefined) return sftp.status(reqid, STATUS.FAILURE);
    fs.write(fd, data, 0, data.length, offset, (err) => (err ? fail(reqid, err) : sftp.status(reqid, STATUS.OK)));
  });
  sftp.on("FSTAT", (reqid, handle) => {
    const fd = fdOf(handle);
    if (fd === undefined) return sftp.status(reqid, STATUS.FAILURE);
    fs.fstat(fd, (err, st) => (err ? fail(reqid, err) : sftp.attrs(reqid, attrsOf(st))));
  });
  sftp.on("FSETSTAT", (reqid) => sftp.status(reqid, STATUS.OK));
  sftp.on("SETSTAT", (reqid) => sftp.status(reqid, STATUS.OK));
  sftp.on("CLOSE", (reqid, handle) => {
    const fd = fdOf(handle);
    if (fd === undefined) return sftp.status(reqid, STATUS.FAILURE);
    handles.delete(handle.readUInt32BE(0));
    fs.close(fd, (err) => (err ? fail(reqid, err) : sftp.status(reqid, STATUS.OK)));
  });
  sftp.on("REMOVE", (reqid, p) => {
    const full = resolve(p);
    if (!full) return sftp.status(reqid, STATUS.PERMISSION_DENIED);
    fs.unlink(full, (err) => (err ? fail(reqid, err) : sftp.status(reqid, STATUS.OK)));
  });
  sftp.on("RENAME", (reqid, from, to) => {
    const a = resolve(from);
    const b = resolve(to);
    if (!a || !b) return sftp.status(reqid, STATUS.PERMISSION_DENIED);
    // SFTP v3 rename refuses to overwrite, as OpenSSH's server does.
    fs.access(b, (missing) => {
      if (!missing) return sftp.status(reqid, STATUS.FAILURE);
      fs.rename(a, b, (err) => (err ? fail(reqid, err) : sftp.status(reqid, STATUS.OK)));
    });
  });
}
