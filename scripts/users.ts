// `npm run users -- <command>` – create and list portal users against the configured backend
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { getDeps, type AppDeps } from "@/lib/config";
import { ApiError } from "@/lib/core/errors";
import { DEMO_PASSWORD, DEMO_USERS, ensureDemoUsers } from "@/lib/users/demo-users";
import { MIN_PASSWORD_LENGTH, createUser, setPassword } from "@/lib/users/users";

const USAGE = `Usage: npm run users -- <command> [options]

Commands:
  add     Create a user.
            --email <email>            required
            --role supplier|admin      required
            --supplier <id>            supplier id (supplier users), e.g. sup_rose
            --membership owner|member|viewer   the supplier user's role (default owner)
            --supplier-name <name>     shown in the portal; defaults to the name other users
                                       of that supplier have, else to the id
            --name <name>              defaults to the part of the email before "@"
            --password <password>      avoid: it lands in your shell history. Without it the
                                       password is asked for (hidden), read from piped stdin,
                                       or, if left empty, generated and printed once.
            --generate-password        generate one and print it once
  passwd  Set a user's password: --email, and --password / --generate-password as for add.
  list    List every user.
  demo    Create the local demo accounts (password "${DEMO_PASSWORD}") that do not exist yet.

Exit codes: 0 done, 1 refused (invalid input, email taken, unknown user), 2 usage error.`;

class UsageError extends Error {}

/** Validation details name fields of `createUser`; people typed flags. */
const FLAG_OF_FIELD: Record<string, string> = { supplierId: "supplier", supplierName: "supplier-name" };

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        email: { type: "string" },
        role: { type: "string" },
        supplier: { type: "string" },
        "supplier-name": { type: "string" },
        membership: { type: "string" },
        name: { type: "string" },
        password: { type: "string" },
        "generate-password": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values: opts, positionals } = parsed;
  const [command, ...extra] = positionals;
  if (opts.help || command === "help") {
    console.log(USAGE);
    return 0;
  }
  if (!command) throw new UsageError("Give a command: add, passwd, list or demo.");
  if (extra.length > 0) throw new UsageError(`Unexpected argument(s): ${extra.join(" ")}`);

  switch (command) {
    case "add": {
      if (!opts.email) throw new UsageError("add needs --email.");
      if (opts.role !== "supplier" && opts.role !== "admin") throw new UsageError("add needs --role supplier or --role admin.");
      if (opts.role === "supplier" && !opts.supplier) throw new UsageError("A supplier user needs --supplier <id>, e.g. --supplier sup_rose.");
      if (opts.role === "admin" && (opts.supplier || opts["supplier-name"])) throw new UsageError("Admins belong to no supplier: drop --supplier.");
      const { password, generated } = await resolvePassword(opts.password, opts["generate-password"] ?? false);
      return withDeps(async (deps) => {
        const user = await createUser(deps.users, {
          email: opts.email!,
          role: opts.role as "supplier" | "admin",
          supplierId: opts.supplier,
          supplierName: opts["supplier-name"],
          membership: opts.membership as "owner" | "member" | "viewer" | undefined,
          name: opts.name,
          password,
        });
        const scope = user.role === "admin" ? "admin (every supplier)" : `supplier ${user.supplierId} (${user.supplierName})`;
        console.log(`Created ${user.email}: ${scope}, id ${user.id}.`);
        if (generated) console.log(`Password (shown once): ${password}`);
        return 0;
      });
    }
    case "passwd": {
      if (!opts.email) throw new UsageError("passwd needs --email.");
      const { password, generated } = await resolvePassword(opts.password, opts["generate-password"] ?? false);
      return withDeps(async (deps) => {
        const user = await setPassword(deps.users, opts.email!, password);
        console.log(`Password of ${user.email} changed.`);
        if (generated) console.log(`Password (shown once): ${password}`);
        return 0;
      });
    }
    case "list":
      return withDeps(async (deps) => {
        const users = await deps.users.listUsers();
        if (users.length === 0) {
          console.log('No users yet. Create one with "npm run users -- add ..." or the demo accounts with "npm run users -- demo".');
          return 0;
        }
        printTable(
          ["EMAIL", "ROLE", "SUPPLIER", "NAME", "CREATED"],
          users.map((u) => [u.email, u.role, u.supplierId ? `${u.supplierId} (${u.supplierName})` : "-", u.name, u.createdAt.slice(0, 10)]),
        );
        return 0;
      });
    case "demo":
      return withDeps(async (deps) => {
        const created = await ensureDemoUsers(deps.users);
        for (const demo of DEMO_USERS) {
          console.log(`${created.includes(demo.email) ? "created " : "exists  "} ${demo.email}`);
        }
        if (created.length > 0) console.log(`Password of the new accounts: ${DEMO_PASSWORD}`);
        return 0;
      });
    default:
      throw new UsageError(`Unknown command "${command}". Commands: add, passwd, list, demo.`);
  }
}

/** Runs `fn` with the process's adapters and always closes them (the SQLite handle, DuckDB). */
async function withDeps(fn: (deps: AppDeps) => Promise<number>): Promise<number> {
  const deps = await getDeps();
  try {
    return await fn(deps);
  } finally {
    await deps.close();
  }
}

async function resolvePassword(given: string | undefined, generate: boolean): Promise<{ password: string; generated: boolean }> {
  if (given !== undefined && generate) throw new UsageError("Give --password or --generate-password, not both.");
  if (given !== undefined) return { password: given, generated: false };
  if (generate) return { password: generatePassword(), generated: true };
  const typed = process.stdin.isTTY ? await promptHidden() : await readFirstLine();
  return typed === "" ? { password: generatePassword(), generated: true } : { password: typed, generated: false };
}

/** 24 URL-safe characters: 144 random bits, far above the 12-character minimum. */
function generatePassword(): string {
  return randomBytes(18).toString("base64url");
}

/** Asks twice, without echoing; an empty first answer means "generate one". */
async function promptHidden(): Promise<string> {
  const first = await readHidden(`Password (at least ${MIN_PASSWORD_LENGTH} characters; empty to generate one): `);
  if (first === "") return "";
  const second = await readHidden("Repeat it: ");
  if (first !== second) throw new ApiError("validation_failed", "The two passwords differ.");
  return first;
}

function readHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding("utf8");
    let value = "";
    const done = (fn: () => void) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off("data", onData);
      process.stderr.write("\n");
      fn();
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n") return done(() => resolve(value));
        if (ch === "\u0003") return done(() => reject(new UsageError("Cancelled.")));
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else if (ch >= " ") value += ch;
      }
    };
    stdin.on("data", onData);
  });
}

/** The first line of piped stdin (`echo "$PW" | npm run users -- add ...`), without its line ending. */
async function readFirstLine(): Promise<string> {
  let data = "";
  process.stdin.setEncoding("utf8");
  for await (const chunk of process.stdin) {
    data += chunk as string;
    if (data.includes("\n")) break;
  }
  return data.split(/\r?\n/)[0];
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const row of [header, ...rows]) console.log(row.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd());
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n\nRun "npm run users -- --help" for usage.`);
      process.exit(2);
    }
    if (err instanceof ApiError) {
      console.error(`Error: ${err.message}`);
      for (const d of Array.isArray(err.details) ? (err.details as { path?: string; message?: string }[]) : []) {
        const flag = d.path ? `--${FLAG_OF_FIELD[d.path] ?? d.path}: ` : "";
        console.error(`  ${flag}${d.message}`);
      }
      process.exit(1);
    }
    console.error(err);
    process.exit(1);
  },
);
