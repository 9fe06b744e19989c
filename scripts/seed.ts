// `tsx scripts/seed.ts [--rows N] [--db path] [--if-missing]` – builds the demo DuckDB warehouse.
import { access } from "node:fs/promises";
import path from "node:path";
import { seedWarehouse } from "../lib/adapters/local/seed-warehouse";

const USAGE = `Usage: tsx scripts/seed.ts [--rows N] [--db path] [--if-missing]

  --rows N       rows of product_inventory (default 200000; 10_000_000 for benchmarks)
  --db path      DuckDB file to (re)build (default: $DUCKDB_PATH, else $DATA_DIR/warehouse.duckdb,
                 else .data/warehouse.duckdb — the file the app opens with the same environment)
  --if-missing   do nothing when the file already exists (npm run dev uses this)`;

interface Args {
  rows: number;
  db: string;
  ifMissing: boolean;
}

/** Where the app looks for the warehouse (lib/config.ts): empty variables count as unset. */
function defaultDbPath(env: NodeJS.ProcessEnv): string {
  if (env.DUCKDB_PATH) return env.DUCKDB_PATH;
  return path.join(env.DATA_DIR || ".data", "warehouse.duckdb");
}

function parseArgs(argv: string[]): Args {
  const args: Args = { rows: 200_000, db: defaultDbPath(process.env), ifMissing: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === "--rows") {
      const v = value();
      if (!/^\d[\d_]*$/.test(v) || Number(v.replaceAll("_", "")) < 1) throw new Error(`--rows must be a positive integer, got ${v}`);
      args.rows = Number(v.replaceAll("_", ""));
    } else if (arg === "--db") args.db = value();
    else if (arg === "--if-missing") args.ifMissing = true;
    else if (arg === "--help" || arg === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}`);
  }
  return args;
}

async function main(): Promise<void> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  const dbPath = path.resolve(args.db);
  if (args.ifMissing) {
    const exists = await access(dbPath).then(
      () => true,
      () => false,
    );
    if (exists) {
      console.log(`warehouse exists at ${dbPath}; not seeding (--if-missing)`);
      return;
    }
  }
  console.log(`seeding ${args.rows.toLocaleString("en")} inventory rows into ${dbPath} ...`);
  const { rows, seconds } = await seedWarehouse({ dbPath, rows: args.rows });
  console.log(`seeded ${rows.toLocaleString("en")} rows in ${seconds.toFixed(1)} s`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
