/**
 * Builds a worker handler the way SST 4.17 does for `sst deploy` and lays it
 * out the way Lambda runs it, for the bundle smoke tests.
 *
 * The esbuild options are SST's own (pkg/runtime/node/build.go of sst/sst,
 * the Go side of the CLI that `sst deploy` runs): platform node, ESM,
 * target esnext, main fields module/main, keepNames, the createRequire /
 * __filename / __dirname banner, `sharp` and `pg-native` always external,
 * plus the function's `nodejs` option, here `LAMBDA_NODEJS` from
 * workers/lambda-bundle.ts exactly as sst.config.ts passes it (splitting
 * and the externals). No minify and no source map: SST's defaults for a deploy.
 */
import { execFileSync } from "node:child_process";
import { createCipheriv, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { isBuiltin } from "node:module";
import * as esbuild from "esbuild";
import { LAMBDA_NODEJS } from "@/workers/lambda-bundle";

const ROOT = path.resolve(import.meta.dirname, "../..");

/** SST's banner for ESM functions, verbatim (build.go), with the function's own banner (none) after it. */
const SST_BANNER = [
  `import { createRequire as topLevelCreateRequire } from 'module';`,
  `const require = topLevelCreateRequire(import.meta.url);`,
  `import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url"`,
  `const __filename = topLevelFileUrlToPath(import.meta.url)`,
  `const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url))`,
  "",
].join("\n");
const SST_FORCE_EXTERNAL = ["sharp", "pg-native"];

export interface BuiltBundle {
  /** The task folder: the bundle's files and nothing else (what Lambda unpacks to /var/task). */
  dir: string;
  /** Files in it, with their sizes. */
  files: { name: string; bytes: number }[];
  /** Packages the bundle leaves to the runtime (imports esbuild marked external), e.g. "@aws-sdk/client-s3". */
  externalImports: string[];
  /** Project source files in the chunk the handler file loads at start (not the lazily imported ones). */
  entryInputs: string[];
  /** Project source files in any chunk. */
  allInputs: string[];
  buildMs: number;
}

/** Bundles `entry` (e.g. "workers/sqs.ts") into `<dir>` as SST would, returning what went in. */
export async function bundleLikeSst(entry: string, dir: string): Promise<BuiltBundle> {
  const started = Date.now();
  fs.mkdirSync(dir, { recursive: true });
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [path.join(ROOT, entry)],
    platform: "node",
    format: "esm",
    target: "esnext",
    mainFields: ["module", "main"],
    keepNames: true,
    bundle: true,
    metafile: true,
    write: true,
    banner: { js: SST_BANNER },
    external: [...SST_FORCE_EXTERNAL, ...LAMBDA_NODEJS.esbuild.external],
    splitting: LAMBDA_NODEJS.splitting,
    // With splitting SST writes to the folder, naming the entry after the handler file, in .mjs.
    outdir: dir,
    outExtension: { ".js": ".mjs" },
    logLevel: "silent",
  });
  const outputs = result.metafile.outputs;
  const entryName = `${path.basename(entry, path.extname(entry))}.mjs`;
  const entryOutput = Object.entries(outputs).find(([file]) => path.basename(file) === entryName);
  if (!entryOutput) throw new Error(`esbuild wrote no ${entryName}`);
  // The chunks the entry imports statically are loaded with it; dynamic imports are not.
  const loadedAtStart = new Set<string>();
  const visit = (file: string) => {
    if (loadedAtStart.has(file)) return;
    loadedAtStart.add(file);
    for (const imp of outputs[file]!.imports) if (imp.kind === "import-statement" && !imp.external) visit(imp.path);
  };
  visit(entryOutput[0]);
  const sourceInputs = (files: Iterable<string>) =>
    [...new Set([...files].flatMap((f) => Object.keys(outputs[f]!.inputs)))].filter((i) => !i.includes("node_modules/")).sort();
  const externalImports = [
    ...new Set(
      Object.values(outputs)
        .flatMap((o) => o.imports)
        // Relative externals are the optional `.node` addons (OPTIONAL_NATIVE_ADDONS): they are meant to be missing.
        .filter((i) => i.external && !isBuiltin(i.path) && !i.path.startsWith("."))
        .map((i) => packageName(i.path)),
    ),
  ].sort();
  return {
    dir,
    files: fs.readdirSync(dir).map((name) => ({ name, bytes: fs.statSync(path.join(dir, name)).size })),
    externalImports,
    entryInputs: sourceInputs(loadedAtStart),
    allInputs: sourceInputs(Object.keys(outputs)),
    buildMs: Date.now() - started,
  };
}

/** "@aws-sdk/client-s3/dist-cjs/x" -> "@aws-sdk/client-s3"; "pkg/sub" -> "pkg". */
export function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

/**
 * The runtime's SDK folder (Lambda: /var/runtime/node_modules): links to the
 * project's copy of each package the bundle leaves external, and of what
 * those need in turn, and nothing else. NODE_PATH points here.
 */
export function runtimeSdkFolder(dest: string, packages: string[]): { dir: string; packages: string[] } {
  const linked = new Set<string>();
  const queue = [...packages];
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (linked.has(name)) continue;
    const src = path.join(ROOT, "node_modules", name);
    if (!fs.existsSync(path.join(src, "package.json"))) throw new Error(`the bundle imports ${name}, which is not in node_modules`);
    fs.mkdirSync(path.dirname(path.join(dest, name)), { recursive: true });
    fs.symlinkSync(src, path.join(dest, name), "dir");
    linked.add(name);
    const pkg = JSON.parse(fs.readFileSync(path.join(src, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
    // A dependency nested in the package's own node_modules comes with the link; only hoisted ones need their own.
    for (const dep of Object.keys(pkg.dependencies ?? {})) if (!fs.existsSync(path.join(src, "node_modules", dep))) queue.push(dep);
  }
  return { dir: dest, packages: [...linked].sort() };
}

/**
 * SST's linked resources as a deployed function receives them: JSON
 * encrypted with AES-256-GCM under a per-app key (zero nonce, tag appended)
 * in `resource.enc` beside the handler, with the key in SST_KEY and the file
 * name in SST_KEY_FILE (function.ts of SST's platform; the `sst` package's
 * Resource decrypts it). Returns the environment variables that point at it.
 */
export function writeSstResourceFile(taskDir: string, resources: Record<string, unknown>): Record<string, string> {
  const key = randomBytes(32);
  const cipher = createCipheriv("aes-256-gcm", key, Buffer.alloc(12, 0));
  const sealed = Buffer.concat([cipher.update(JSON.stringify(resources)), cipher.final(), cipher.getAuthTag()]);
  fs.writeFileSync(path.join(taskDir, "resource.enc"), sealed);
  return { SST_KEY: key.toString("base64"), SST_KEY_FILE: "resource.enc" };
}

/** Bytes in a folder, following links. */
export function folderBytes(dir: string): number {
  return Number(execFileSync("du", ["-sbL", dir], { encoding: "utf8" }).split("\t")[0]);
}
