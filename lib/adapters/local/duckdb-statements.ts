/**
 * The local warehouse's statement state, kept in small files next to a
 * statement's parts so that any process (the web app cancelling, a worker
 * polling) can describe or cancel a statement another process runs:
 *
 *     .statement-<token>.json     status: running | finished | failed | aborted (written atomically)
 *     .statement-<token>.cancel   cancel marker, written by cancel() in any process
 *
 * A running statement's status file is touched every few seconds (its
 * heartbeat); whether its owner still runs it is decided from the pid and the
 * process start time on this host, from the heartbeat on another.
 */
import { randomBytes } from "node:crypto";
import { readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import type { StatementState } from "@/lib/ports";

const STATEMENT_ID = /^duckdb\.([A-Za-z0-9_-]{1,700})\.([0-9a-f]{24})$/;
/** Plain relative folders ending in "/": no "."/".." segments, nothing hidden (control files start with "."). */
const KEY_PREFIX = /^(?:[A-Za-z0-9_][A-Za-z0-9._-]{0,127}\/){1,16}$/;
const MAX_KEY_PREFIX = 512;
/** How long a foreign host's "running" statement may go without a heartbeat before it counts as lost. */
const FOREIGN_HEARTBEAT_MS = 60_000;
const HEARTBEAT_EVERY_MS = 5_000;

const ZEntry = z.object({ key: z.string(), rows: z.number().int().nonnegative().optional(), bytes: z.number().int().nonnegative() });
const ZStatus = z.discriminatedUnion("state", [
  z.object({
    state: z.literal("running"),
    statementId: z.string(),
    pid: z.number().int(),
    /** Start time of the process (Linux /proc starttime), to tell a reused pid from the original. */
    procStart: z.string().nullable(),
    host: z.string(),
    startedAt: z.string(),
  }),
  z.object({
    state: z.literal("finished"),
    statementId: z.string(),
    finishedAt: z.string(),
    // Kept in the status as well as in `manifest`: a later statement under the same prefix
    // rewrites `manifest`, but this statement's result stays what it was.
    manifest: z.object({ entries: z.array(ZEntry), rows: z.number().int().nonnegative(), bytes: z.number().int().nonnegative() }),
  }),
  z.object({ state: z.literal("failed"), statementId: z.string(), finishedAt: z.string(), message: z.string(), retryable: z.boolean() }),
  z.object({ state: z.literal("aborted"), statementId: z.string(), finishedAt: z.string() }),
]);
export type StatusFile = z.infer<typeof ZStatus>;
export type RunningStatus = Extract<StatusFile, { state: "running" }>;

/** A statement id taken apart: where its files are. */
export interface StatementRef {
  statementId: string;
  keyPrefix: string;
  token: string;
  folder: string;
  statusPath: string;
  cancelPath: string;
  stagingDir: string;
}

/** Whether `keyPrefix` is a plain folder path ending in "/" that a statement may write under. */
export function isPlainKeyPrefix(keyPrefix: unknown): keyPrefix is string {
  return typeof keyPrefix === "string" && keyPrefix.length <= MAX_KEY_PREFIX && KEY_PREFIX.test(keyPrefix);
}

/** A new statement id for `keyPrefix`: the prefix (so any process finds the files) and a random token. */
export function newStatementId(keyPrefix: string): string {
  return `duckdb.${Buffer.from(keyPrefix).toString("base64url")}.${randomBytes(12).toString("hex")}`;
}

/** Parses and checks a statement id against `unloadRoot`; null when it is not one of ours. */
export function statementRef(unloadRoot: string, statementId: string): StatementRef | null {
  if (typeof statementId !== "string") return null;
  const m = STATEMENT_ID.exec(statementId);
  if (!m) return null;
  const keyPrefix = Buffer.from(m[1], "base64url").toString("utf8");
  // Re-encoding must give the same text: rejects padding tricks and non-canonical encodings.
  if (Buffer.from(keyPrefix).toString("base64url") !== m[1] || !isPlainKeyPrefix(keyPrefix)) return null;
  const token = m[2];
  const folder = path.resolve(unloadRoot, keyPrefix);
  if (!folder.startsWith(unloadRoot + path.sep)) return null;
  return {
    statementId,
    keyPrefix,
    token,
    folder,
    statusPath: path.join(folder, `.statement-${token}.json`),
    cancelPath: path.join(folder, `.statement-${token}.cancel`),
    stagingDir: path.join(folder, `.staging-${token}`),
  };
}

/** The "running" status this process writes for a statement it starts. */
export async function runningStatus(statementId: string): Promise<RunningStatus> {
  return { state: "running", statementId, pid: process.pid, procStart: await ownStart, host: os.hostname(), startedAt: new Date().toISOString() };
}

export function lost(reason: string): StatementState {
  return { state: "failed", message: `statement lost: ${reason}`, retryable: true };
}

/** What the statement's watcher acts on; `stop` is set by it (or by the owner) and never cleared. */
export interface WatchedRun {
  ref: StatementRef;
  stop: string | null;
  /** Interrupts the statement's query (DuckDB's connection). */
  interrupt(): void;
}

/**
 * Watches a running statement's files every `everyMs`: a cancel marker stops
 * it as "cancelled", a deleted status file (the export was cleaned up under
 * us) as "abandoned", and the status file's heartbeat is kept fresh. Once a
 * stop is requested it interrupts on every tick: DuckDB forgets an interrupt
 * that arrives between two queries of the run.
 */
export function watchStatement(run: WatchedRun, everyMs: number): NodeJS.Timeout {
  let busy = false;
  let lastBeat = Date.now();
  return setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      if (!run.stop) {
        if (await exists(run.ref.cancelPath)) run.stop = "cancelled";
        else if (!(await exists(run.ref.statusPath))) run.stop = "abandoned";
        else if (Date.now() - lastBeat >= HEARTBEAT_EVERY_MS) {
          lastBeat = Date.now();
          const now = new Date();
          await utimes(run.ref.statusPath, now, now).catch(() => undefined);
        }
      }
      if (run.stop) run.interrupt();
    })().finally(() => {
      busy = false;
    });
  }, everyMs);
}

export async function readStatus(file: string): Promise<StatusFile | null> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if (errCode(err) === "ENOENT" || errCode(err) === "ENOTDIR") return null;
    throw err;
  }
  try {
    const parsed = ZStatus.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null; // not JSON: not a status we wrote (writes are atomic)
  }
}

/** Writes JSON via a temp file and rename: readers in other processes see the old or the new file, never half of one. */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const tmp = path.join(path.dirname(file), `.tmp-${randomBytes(6).toString("hex")}`);
  try {
    await writeFile(tmp, JSON.stringify(value, null, 2) + "\n", { flag: "wx" });
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Whether the process that wrote a "running" status still runs it. On this
 * host: its pid exists and started when the status says (a reused pid does
 * not count). On another host (a shared folder) pids mean nothing: the
 * heartbeat the runner refreshes every few seconds decides.
 */
export async function isOwnerAlive(status: RunningStatus, statusPath: string): Promise<boolean> {
  if (status.host !== os.hostname()) {
    const info = await stat(statusPath).catch(() => null);
    return info !== null && Date.now() - info.mtimeMs < FOREIGN_HEARTBEAT_MS;
  }
  try {
    process.kill(status.pid, 0);
  } catch (err) {
    if (errCode(err) !== "EPERM") return false; // ESRCH: no such process (EPERM: exists, owned by another user)
  }
  if (status.procStart === null) return true;
  return (await processStartOf(status.pid)) === status.procStart;
}

/** Linux: the process's start time in clock ticks since boot (/proc/<pid>/stat field 22); null elsewhere. */
async function processStartOf(pid: number): Promise<string | null> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces and parentheses: count fields after the last ")".
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

/** This process's start time, read once. */
const ownStart = processStartOf(process.pid);

export async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

export function errCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}
