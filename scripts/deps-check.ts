/**
 * The layout's dependency rules, checked on the import graph of the non-test
 * sources (docs/ARCHITECTURE.md, "Dependency rules"). Prints the forbidden
 * arrows, the largest files and the files over the size limit; exits 1 if any
 * rule is broken. `npm test` runs it.
 *
 *   npx tsx scripts/deps-check.ts             # the working tree
 *   npx tsx scripts/deps-check.ts --rev 4ab55ae   # a commit, for before/after figures (reports, never fails)
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..");
const SOURCE_DIRS = ["lib", "app", "components", "workers", "scripts"];
const MAX_LINES = 500;
const KERNEL_NAMES = /\b(ApiError|BackendError|ObjectNotFoundError|InvalidKeyError|ErrorCode|newId|ZExportIdPattern|zodDetails|Actor)\b/;

const revIndex = process.argv.indexOf("--rev");
const rev = revIndex > 0 ? process.argv[revIndex + 1] : undefined;

/** Source files (no tests, no declaration files) and their text, from the tree or a commit. */
function readSources(): Map<string, string> {
  const files = new Map<string, string>();
  const isSource = (f: string) => /\.(ts|tsx)$/.test(f) && !/\.test\.tsx?$/.test(f) && !f.endsWith(".d.ts") && SOURCE_DIRS.includes(f.split("/")[0]!);
  if (rev) {
    const list = execFileSync("git", ["-C", ROOT, "ls-tree", "-r", "--name-only", rev], { encoding: "utf8" }).split("\n").filter(isSource);
    for (const f of list) files.set(f, execFileSync("git", ["-C", ROOT, "show", `${rev}:${f}`], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 }));
    return files;
  }
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(rel);
      else if (isSource(rel)) files.set(rel, fs.readFileSync(path.join(ROOT, rel), "utf8"));
    }
  };
  for (const d of SOURCE_DIRS) if (fs.existsSync(path.join(ROOT, d))) walk(d);
  return files;
}

interface Arrow {
  from: string;
  to: string;
  /** What the import statement names (for the kernel-things count). */
  names: string;
}

/** Resolves an import specifier to a project file (or null: a package). */
function resolve(from: string, spec: string, files: Map<string, string>): string | null {
  let base: string;
  if (spec.startsWith("@/")) base = spec.slice(2);
  else if (spec.startsWith(".")) base = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  else return null;
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, `${base}/index.ts`]) if (files.has(candidate)) return candidate;
  return base;
}

function arrows(files: Map<string, string>): Arrow[] {
  const out: Arrow[] = [];
  const re = /(?:^|\n)\s*(?:import|export)\s+([\s\S]*?)\s+from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;
  for (const [file, text] of files) {
    for (const m of text.matchAll(re)) {
      const spec = m[2] ?? m[3]!;
      const to = resolve(file, spec, files);
      if (to) out.push({ from: file, to, names: m[1] ?? "" });
    }
  }
  return out;
}

const under = (file: string, dir: string) => file === dir || file.startsWith(`${dir}/`) || file === `${dir}.ts`;

/** Each rule: a name and a test of one arrow. */
const RULES: { name: string; broken: (a: Arrow) => boolean }[] = [
  { name: "lib/core imports nothing else of the project", broken: (a) => under(a.from, "lib/core") && !under(a.to, "lib/core") },
  { name: "lib/zip imports nothing else of the project", broken: (a) => under(a.from, "lib/zip") && !under(a.to, "lib/zip") },
  { name: "lib/exports imports neither lib/webhooks nor lib/api", broken: (a) => under(a.from, "lib/exports") && (under(a.to, "lib/webhooks") || under(a.to, "lib/api")) },
  { name: "lib/webhooks does not import lib/api", broken: (a) => under(a.from, "lib/webhooks") && under(a.to, "lib/api") },
  {
    name: "kernel things (errors, ids, validation, Actor) come from lib/core, not lib/exports",
    broken: (a) => !under(a.from, "lib/exports") && under(a.to, "lib/exports") && (/\/(errors|ids|validation|actor)$/.test(a.to.replace(/\.tsx?$/, "")) || KERNEL_NAMES.test(a.names)),
  },
  {
    name: "only lib/config.ts imports adapters",
    broken: (a) => under(a.to, "lib/adapters") && !under(a.from, "lib/adapters") && a.from !== "lib/config.ts" && !under(a.from, "scripts"),
  },
  {
    name: "local and AWS adapters do not import each other",
    broken: (a) => (under(a.from, "lib/adapters/local") && under(a.to, "lib/adapters/aws")) || (under(a.from, "lib/adapters/aws") && under(a.to, "lib/adapters/local")),
  },
  { name: "lib/ imports nothing from app/, components/ or workers/", broken: (a) => under(a.from, "lib") && ["app", "components", "workers"].some((d) => under(a.to, d)) },
];

const files = readSources();
const graph = arrows(files);
let broken = 0;
console.log(`dependency rules${rev ? ` at ${rev}` : ""} (${files.size} source files, ${graph.length} imports):`);
for (const rule of RULES) {
  const bad = graph.filter(rule.broken);
  broken += bad.length;
  console.log(`  ${bad.length === 0 ? "ok  " : "FAIL"} ${rule.name}: ${bad.length}`);
  for (const a of bad) console.log(`         ${a.from} -> ${a.to}`);
}

const sizes = [...files].map(([f, text]) => ({ f, lines: text.split("\n").length - (text.endsWith("\n") ? 1 : 0) })).sort((a, b) => b.lines - a.lines);
const over = sizes.filter((s) => s.lines > MAX_LINES);
console.log(`largest files: ${sizes.slice(0, 6).map((s) => `${s.f} ${s.lines}`).join(", ")}`);
console.log(`  ${over.length === 0 ? "ok  " : "FAIL"} no non-test file over ${MAX_LINES} lines: ${over.length}${over.length ? ` (${over.map((s) => s.f).join(", ")})` : ""}`);

if (!rev && (broken > 0 || over.length > 0)) process.exit(1);
