// `npm run dev` – seeds the demo warehouse and accounts on first start, then runs Next.js and the worker together.
import { spawn, type ChildProcess } from "node:child_process";

function run(name: string, cmd: string, args: string[]): ChildProcess {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: process.env });
  const prefix = (chunk: Buffer) =>
    chunk
      .toString()
      .split("\n")
      .filter((l) => l.length > 0)
      .map((l) => `[${name}] ${l}\n`)
      .join("");
  child.stdout!.on("data", (c: Buffer) => process.stdout.write(prefix(c)));
  child.stderr!.on("data", (c: Buffer) => process.stderr.write(prefix(c)));
  return child;
}

function waitFor(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => child.on("exit", (code) => resolve(code ?? 1)));
}

async function main(): Promise<void> {
  const seed = run("seed", "npx", ["tsx", "scripts/seed.ts", "--if-missing"]);
  const seedCode = await waitFor(seed);
  if (seedCode !== 0) process.exit(seedCode);
  // The demo accounts the README lists; a no-op when they exist.
  const usersCode = await waitFor(run("users", "npx", ["tsx", "scripts/users.ts", "demo"]));
  if (usersCode !== 0) process.exit(usersCode);

  const children = [run("web", "npx", ["next", "dev", "--port", process.env.PORT ?? "3000"]), run("worker", "npx", ["tsx", "workers/main.ts"])];
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    for (const c of children) c.kill(signal);
  };
  process.on("SIGINT", () => stop("SIGTERM"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  // If either dies, stop the other: a portal without a worker would queue exports forever.
  const first = await Promise.race(children.map(waitFor));
  stop("SIGTERM");
  await Promise.all(children.map(waitFor));
  process.exit(first);
}

void main();
