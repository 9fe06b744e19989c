/**
 * One Lambda container for the bundle tests: a task folder, the runtime's
 * Node binary running lambda-runtime.mjs there (Lambda's Node flags, the
 * function's environment and nothing of this process's), invoked over IPC.
 */
import { spawn } from "node:child_process";
import path from "node:path";

/** The flags Lambda's Node.js 22 and 24 runtimes start Node with (AWS docs, "Building Lambda functions with Node.js"). */
export const LAMBDA_NODE_FLAGS = ["--no-experimental-require-module", "--no-experimental-detect-module"];

export interface LambdaContainer {
  /** Time from start to the handler module loaded (the cold start's init phase). */
  initMs: number;
  invoke<T>(event: unknown, timeoutMs?: number): Promise<T>;
  /** Shared libraries the process has loaded (native addons are dlopen'ed .node files). */
  sharedObjects(): Promise<string[]>;
  /** Everything the process wrote to stdout and stderr. */
  output(): string;
  stop(): void;
}

export async function startLambdaContainer(opts: { node: string; dir: string; handler: string; env: Record<string, string> }): Promise<LambdaContainer> {
  const child = spawn(opts.node, [...LAMBDA_NODE_FLAGS, path.resolve(import.meta.dirname, "lambda-runtime.mjs")], {
    cwd: opts.dir,
    env: { PATH: "/usr/bin:/bin", LANG: "en_US.UTF-8", TZ: ":UTC", ...opts.env, _HANDLER: opts.handler } as unknown as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const init = await new Promise<{ init: string; initMs?: number; error?: string }>((resolve) => {
    child.once("message", (m) => resolve(m as { init: string }));
    child.once("exit", (code) => resolve({ init: "error", error: `exited with ${code}` }));
  });
  if (init.init !== "ok") {
    child.kill();
    throw new Error(`Init error of ${opts.handler}: ${init.error}\n${output}`);
  }
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  child.on("message", (m: { id: number; result?: unknown; error?: string }) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.error !== undefined) p.reject(new Error(`${opts.handler} threw: ${m.error}\n${output}`));
    else p.resolve(m.result);
  });
  child.on("exit", (code) => {
    for (const p of pending.values()) p.reject(new Error(`${opts.handler} exited with ${code} mid-invocation\n${output}`));
    pending.clear();
  });
  const send = <T>(message: Record<string, unknown>) =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ id, ...message });
    });
  return {
    initMs: init.initMs ?? 0,
    invoke: <T>(event: unknown, timeoutMs = 900_000) => send<T>({ event, timeoutMs }),
    sharedObjects: () => send<string[]>({ probe: "sharedObjects" }),
    output: () => output,
    stop: () => child.kill(),
  };
}

/** The AWS client settings of a function's environment: region, credentials (Lambda's role) and the emulators' endpoints. */
export function awsClientEnv(b: Record<string, string | undefined>): Record<string, string> {
  const keys = ["AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SES", "AWS_ENDPOINT_URL_REDSHIFT_DATA", "AWS_S3_FORCE_PATH_STYLE"];
  return Object.fromEntries(keys.filter((k) => b[k] !== undefined).map((k) => [k, b[k]!]));
}
