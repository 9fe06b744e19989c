// `bench:export --backend aws` hands the whole command line to scripts/bench-export-aws.ts (its
// own options, its own process) before the local bench parses anything. Imported first by
// scripts/bench-export.ts; `--backend local` (the default) falls through to it.
import { spawnSync } from "node:child_process";
import path from "node:path";

const argv = process.argv.slice(2);
const at = argv.findIndex((a) => a === "--backend" || a.startsWith("--backend="));
const backend = at === -1 ? "local" : argv[at].includes("=") ? argv[at].slice("--backend=".length) : argv[at + 1];
if (backend === "aws") {
  const script = path.join(__dirname, "bench-export-aws.ts");
  const r = spawnSync(process.execPath, ["--import", "tsx", script, ...argv], { stdio: "inherit" });
  process.exit(r.status ?? 1);
} else if (backend !== "local") {
  console.error(`--backend must be local or aws, got ${JSON.stringify(backend)}`);
  process.exit(2);
} else if (at !== -1) {
  // The local bench's parser does not know --backend: take it off the command line.
  process.argv.splice(2 + at, argv[at].includes("=") ? 1 : 2);
}
