/**
 * Evaluates sst.config.ts offline, the way `sst deploy` evaluates it, and
 * returns every resource SST would ask Pulumi to create, with its inputs.
 *
 * What SST's CLI does (pkg/project/stack.go in sst/sst, 4.x): esbuild-bundles
 * an entry that imports `.sst/platform/src/auto/run.ts` and sst.config.ts,
 * defines `$app`, `$cli` and `$dev`, injects `.sst/platform/src/shim/run.js`
 * (`$config`, `$interpolate`, `$resolve`, ...), makes the providers (`aws`)
 * and `sst` globals, and runs the program under the Pulumi engine. Here the
 * same bundle runs under Pulumi's mock runtime (`pulumi.runtime.setMocks`
 * from the @pulumi/pulumi SST installed), in a child process so each
 * evaluation has its own runtime state.
 *
 * Two things SST's components ask of the CLI rather than of Pulumi are
 * answered by test doubles, because no deploy runs here:
 * - `Runtime.Build` (the CLI bundles a function's handler over a local JSON-RPC
 *   server, SST_SERVER): answered with an empty bundle folder; the request, with
 *   its `nodejs` options, is recorded so tests can check what would be bundled.
 * - the portal's OpenNext build (a `command:local:Command` that is never run
 *   under mocks): a minimal `.open-next` output tree in a scratch root, so the
 *   Nextjs component can plan its server function, image optimiser and assets.
 */
import { build } from "esbuild";
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
export const PLATFORM = path.join(REPO_ROOT, ".sst", "platform");
import { ACCOUNT, REGION } from "./sst-mocks";
export { ACCOUNT, REGION };

/** One resource the program registered: its Pulumi type token, logical name and inputs as SST would send them. */
export interface RegisteredResource {
  type: string;
  name: string;
  custom: boolean;
  inputs: Record<string, any>;
  /** The mock's answer: inputs plus the computed outputs (arn, url, name, ...). */
  state: Record<string, any>;
}

export interface Evaluation {
  resources: RegisteredResource[];
  /** Requests SST's components sent to the CLI's `Runtime.Build` (one per function SST bundles itself). */
  builds: Array<Record<string, any>>;
  /** The program's stack outputs. */
  outputs: Record<string, unknown>;
  /** The deploy environment it was evaluated with. */
  env: Record<string, string>;
  /** Secret values by name (from SST_SECRET_<Name>), for checking none leaks. */
  secrets: Record<string, string>;
}

export interface EvaluateOptions {
  stage?: string;
  /** Environment of `sst deploy` (deploy-time settings, SST_SECRET_<Name> secret values). */
  env: Record<string, string>;
  /** Config to evaluate instead of the repository's (mutation tests). */
  configSource?: string;
}

/** The child's entry: mocks first, then SST's own `run` over the config, then the record on disk. */
const ENTRY = (platform: string, config: string, out: string) => `
import * as pulumi from "@pulumi/pulumi";
import { writeFileSync } from "node:fs";
import * as aws from "@pulumi/aws";
import * as sst from ${JSON.stringify(path.join(platform, "src/components/index.ts"))};
import { run } from ${JSON.stringify(path.join(platform, "src/auto/run.ts"))};
import mod from ${JSON.stringify(config)};
import { mocks, recorded } from ${JSON.stringify(path.join(import.meta.dirname, "sst-mocks.ts"))};

globalThis.aws = aws;
globalThis.sst = sst;
await pulumi.runtime.setMocks(mocks, $app.name, $app.stage, false);
// As the engine runs an inline program: inside the root stack resource, then until every pending registration settles.
const resolved = await pulumi.runtime.runInPulumiStack(() => run(mod.run));
await pulumi.runtime.disconnect();
writeFileSync(${JSON.stringify(out)}, JSON.stringify({ resources: recorded, outputs: resolved }));
`;

/** Writes the smallest output tree of `@opennextjs/aws build` the Nextjs component reads. */
function writeOpenNextFixture(root: string): void {
  const file = (rel: string, content: string) => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), content);
  };
  file("package.json", JSON.stringify({ name: "partner-export-portal", private: true, scripts: { build: "next build" }, devDependencies: { "@opennextjs/aws": "3.9.14" } }));
  file("node_modules/@opennextjs/aws/package.json", JSON.stringify({ name: "@opennextjs/aws", version: "3.9.14" }));
  file(".next/BUILD_ID", "iac-test");
  file(".next/routes-manifest.json", JSON.stringify({ version: 3, basePath: "", pages404: true, staticRoutes: [], dynamicRoutes: [], dataRoutes: [], rewrites: [], redirects: [], headers: [] }));
  file(".next/prerender-manifest.json", JSON.stringify({ version: 4, routes: {}, dynamicRoutes: {}, notFoundRoutes: [], preview: { previewModeId: "x", previewModeSigningKey: "x", previewModeEncryptionKey: "x" } }));
  file(".open-next/assets/favicon.ico", "");
  file(".open-next/assets/_next/static/iac-test/_buildManifest.js", "");
  file(".open-next/cache/iac-test/index.cache", "{}");
  file(".open-next/server-functions/default/index.mjs", "export const handler = async () => ({ statusCode: 200 });");
  file(".open-next/image-optimization-function/index.mjs", "export const handler = async () => ({ statusCode: 200 });");
  file(".open-next/revalidation-function/index.mjs", "export const handler = async () => {};");
  file(".open-next/warmer-function/index.mjs", "export const handler = async () => {};");
  file(".open-next/dynamodb-provider/index.mjs", "export const handler = async () => {};");
  file(".open-next/dynamodb-provider/dynamodb-cache.json", "[]");
  file(
    ".open-next/open-next.output.json",
    JSON.stringify({
      edgeFunctions: {},
      origins: {
        s3: { type: "s3", originPath: "_assets", copy: [{ from: ".open-next/assets", to: "_assets", cached: true, versionedSubDir: "_next" }] },
        imageOptimizer: { type: "function", handler: "index.handler", bundle: ".open-next/image-optimization-function", streaming: false, imageLoader: "s3" },
        default: { type: "function", handler: "index.handler", bundle: ".open-next/server-functions/default", streaming: false, wrapper: "aws-lambda", converter: "aws-apigw-v2" },
      },
      behaviors: [
        { pattern: "_next/image*", origin: "imageOptimizer" },
        { pattern: "_next/data/*", origin: "default" },
        { pattern: "*", origin: "default" },
        { pattern: "api/*", origin: "default" },
        { pattern: "_next/*", origin: "s3" },
        { pattern: "favicon.ico", origin: "s3" },
      ],
      additionalProps: {
        disableIncrementalCache: false,
        disableTagCache: false,
        initializationFunction: { handler: "index.handler", bundle: ".open-next/dynamodb-provider" },
        revalidationFunction: { handler: "index.handler", bundle: ".open-next/revalidation-function" },
        warmer: { handler: "index.handler", bundle: ".open-next/warmer-function" },
      },
    }),
  );
}

/** Answers the CLI's JSON-RPC calls SST's components make: `Runtime.Build` with an empty bundle, the bootstrap buckets, anything else "not found". */
async function startCliDouble(work: string, builds: Array<Record<string, any>>) {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      const { method, params } = JSON.parse(body) as { method: string; params: [Record<string, any>] };
      let reply: unknown;
      if (method === "Runtime.Build") {
        const input = params[0];
        builds.push(input);
        const out = path.join(work, "bundles", String(input.functionID ?? builds.length));
        mkdirSync(out, { recursive: true });
        writeFileSync(path.join(out, "index.mjs"), "export const handler = async () => {};");
        reply = { result: { handler: "index.handler", out, errors: [], sourcemaps: [] } };
      } else if (method === "Provider.Aws.Bootstrap") {
        // The buckets and registry `sst deploy` creates once per account and region for assets and state.
        reply = { result: { asset: "sst-asset-iactest", assetEcrRegistryId: ACCOUNT, assetEcrUrl: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/sst-asset`, state: "sst-state-iactest", appsyncHttp: "", appsyncRealtime: "" } };
      } else {
        reply = { error: `rpc: can't find method ${method}` };
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(reply));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("CLI double has no port");
  return { url: `http://127.0.0.1:${address.port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/**
 * The config's `app(input)` result, completed as SST's CLI completes it into `$app`
 * (which SST defines at build time: components read it when their modules load).
 * `$config` is the identity function in SST; `app` runs before any component exists.
 */
async function appConfig(configPath: string, stage: string, bundle: string): Promise<Record<string, unknown>> {
  const file = `${bundle}.app.mjs`;
  try {
    await build({
      stdin: { contents: `import mod from ${JSON.stringify(configPath)}; console.log(JSON.stringify(mod.app({ stage: ${JSON.stringify(stage)} })));`, resolveDir: REPO_ROOT, loader: "ts" },
      outfile: file,
      bundle: true,
      platform: "node",
      format: "esm",
      packages: "external",
      logLevel: "silent",
      banner: { js: "globalThis.$config = (config) => config;" },
    });
    const { stdout } = await run(process.execPath, [file], {});
    const app = JSON.parse(stdout) as { name: string; removal?: string; protect?: boolean; home: string };
    return { name: app.name, stage, removal: app.removal ?? "retain", protect: app.protect ?? false, home: app.home, providers: { aws: { region: REGION } }, version: "" };
  } finally {
    rmSync(file, { force: true });
  }
}

/** Runs a node script to its end; rejects with its stderr when it fails. */
function run(cmd: string, args: string[], env: Record<string, string>, cwd?: string): Promise<{ stdout: string }> {
  return new Promise((resolve, reject) => {
    // Only what the evaluation needs: the deploy environment of the test, not the shell's.
    const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? tmpdir(), ...env } as unknown as NodeJS.ProcessEnv;
    const child = spawn(cmd, args, { cwd, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve({ stdout }) : reject(new Error(`sst.config.ts evaluation failed (exit ${code}):\n${stderr.slice(-4000)}`))));
  });
}

export async function evaluateSstConfig(options: EvaluateOptions): Promise<Evaluation> {
  if (!existsSync(path.join(PLATFORM, "src/auto/run.ts"))) {
    throw new Error(`${PLATFORM} is missing: run \`npm run typecheck:sst\` (it runs \`sst install\`) first.`);
  }
  const stage = options.stage ?? "iac-test";
  const scratch = mkdtempSync(path.join(tmpdir(), "iac-eval-"));
  const root = path.join(scratch, "root");
  const work = path.join(scratch, "work");
  mkdirSync(work, { recursive: true });
  writeOpenNextFixture(root);
  // The config's relative imports (./lib/...) are bundled from the repository, as SST bundles them.
  const configPath = options.configSource === undefined ? path.join(REPO_ROOT, "sst.config.ts") : path.join(REPO_ROOT, `.sst-iac-mutant-${process.pid}-${Date.now()}.config.ts`);
  if (options.configSource !== undefined) writeFileSync(configPath, options.configSource);
  // Beside SST's node_modules, so @pulumi/* and the components' own dependencies resolve as they do for `sst deploy`.
  const bundle = path.join(PLATFORM, `.iac-eval-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.mjs`);
  const out = path.join(scratch, "result.json");
  const builds: Array<Record<string, any>> = [];
  const cli = await startCliDouble(work, builds);
  try {
    await build({
      stdin: { contents: ENTRY(PLATFORM, configPath, out), resolveDir: PLATFORM, loader: "ts", sourcefile: "eval.ts" },
      outfile: bundle,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "esnext",
      packages: "external",
      logLevel: "silent",
      inject: [path.join(PLATFORM, "src/shim/run.js")],
      define: {
        $app: JSON.stringify(await appConfig(configPath, stage, bundle)),
        $cli: JSON.stringify({ command: "deploy", dev: false, paths: { home: path.join(scratch, "home"), root, work, platform: PLATFORM }, state: { version: {} } }),
        $dev: "false",
      },
      banner: { js: `import { createRequire as __iacCreateRequire } from "node:module"; const require = __iacCreateRequire(import.meta.url);` },
    });
    await run(process.execPath, [bundle], { SST_SERVER: cli.url, SST_AWS_REGION: REGION, AWS_REGION: REGION, ...options.env }, root);
    const result = JSON.parse(readFileSync(out, "utf8")) as Pick<Evaluation, "resources" | "outputs">;
    const secrets = Object.fromEntries(Object.entries(options.env).flatMap(([k, v]) => (k.startsWith("SST_SECRET_") ? [[k.slice("SST_SECRET_".length), v]] : [])));
    return { ...result, builds, env: options.env, secrets };
  } finally {
    await cli.close();
    rmSync(bundle, { force: true });
    if (options.configSource !== undefined) rmSync(configPath, { force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
}
