// `npx tsx e2e/start-stack.ts` – the whole local stack for the e2e run, in a fresh data folder.
//
// Seeds the warehouse and the demo users, builds the app (skipped with
// E2E_SKIP_BUILD=1 when .next is current), then runs `next start` and the
// worker until it is told to stop. If either dies the other is stopped too,
// so Playwright sees the failure instead of waiting on a half-dead stack.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { E2E_DATA_DIR, E2E_PORT, REPO_ROOT, stackEnv } from "./stack-env";

const env = { ...process.env, ...stackEnv() };
const children = new Set<ChildProcess>();
const logDir = path.join(E2E_DATA_DIR, "logs");

function run(name: string, cmd: string, args: string[]): ChildProcess {
  const child = spawn(cmd, args, { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  const log = fs.createWriteStream(path.join(logDir, `${name}.log`));
  const prefix = (chunk: Buffer) =>
    chunk
      .toString()
      .split("\n")
      .filter((l) => l.length > 0)
      .map((l) => `[${name}] ${l}\n`)
      .join("");
  child.stdout!.on("data", (c: Buffer) => {
    log.write(c);
    process.stdout.write(prefix(c));
  });
  child.stderr!.on("data", (c: Buffer) => {
    log.write(c);
    process.stderr.write(prefix(c));
  });
  child.on("exit", () => {
    children.delete(child);
    log.end();
  });
  return child;
}

function exited(child: ChildProcess): Promise<number> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1))));
}

async function step(name: string, cmd: string, args: string[]): Promise<void> {
  const started = Date.now();
  const code = await exited(run(name, cmd, args));
  if (code !== 0) throw new Error(`${name} failed with exit code ${code} (log: ${path.join(logDir, `${name}.log`)})`);
  console.log(`[stack] ${name} done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

let stopping = false;
async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    for (const c of children) c.kill("SIGTERM");
    const deadline = setTimeout(() => {
      for (const c of children) c.kill("SIGKILL");
    }, 8_000);
    await Promise.all([...children].map(exited));
    clearTimeout(deadline);
  }
  process.exit(code);
}

async function main(): Promise<void> {
  process.on("SIGTERM", () => void stop(0));
  process.on("SIGINT", () => void stop(0));

  fs.rmSync(E2E_DATA_DIR, { recursive: true, force: true });
  fs.mkdirSync(logDir, { recursive: true });
  console.log(`[stack] data folder ${E2E_DATA_DIR}`);

  const tsx = path.join(REPO_ROOT, "node_modules", ".bin", "tsx");
  const next = path.join(REPO_ROOT, "node_modules", ".bin", "next");
  const warehouse = path.join(E2E_DATA_DIR, "warehouse.duckdb");
  await step("seed", tsx, ["scripts/seed.ts", "--rows", "20000", "--db", warehouse]);
  await step("users", tsx, ["scripts/users.ts", "demo"]);
  if (process.env.E2E_SKIP_BUILD !== "1") await step("build", next, ["build"]);

  const web = run("web", next, ["start", "-p", String(E2E_PORT)]);
  const worker = run("worker", tsx, ["workers/main.ts"]);
  const first = await Promise.race([exited(web), exited(worker)]);
  if (!stopping) {
    console.error(`[stack] ${web.exitCode !== null ? "web" : "worker"} exited (${first}); stopping the stack`);
    await stop(1);
  }
}

main().catch((err) => {
  console.error(`[stack] ${err instanceof Error ? err.message : String(err)}`);
  void stop(1);
});
