/**
 * The portal as SST 4.17 deploys it: built with SST's default command for
 * Next 15+ (`npx --yes @opennextjs/aws@<SST's DEFAULT_OPEN_NEXT_VERSION>
 * build`, read from .sst/platform/src/components/aws/nextjs.ts), its server
 * function (open-next.output.json's default origin) copied to a folder of
 * its own and started on the Node major SST gives that function (its
 * `runtime`, also read from nextjs.ts: nodejs24.x), in aws mode with SST's
 * resource file, then asked for pages through its handler with API Gateway
 * v2 / function URL events (the origin's converter).
 *
 * The build takes ~3 minutes; BUNDLE_TEST_REUSE_OPENNEXT=1 reuses an existing
 * .open-next/ while iterating on this file.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeSstResourceFile } from "./lambda-bundle";
import { startLambdaContainer, type LambdaContainer } from "./lambda-container";
import { lambdaNode } from "./node-binary";

const ROOT = path.resolve(import.meta.dirname, "../..");
const NEXTJS_COMPONENT = fs.readFileSync(path.join(ROOT, ".sst/platform/src/components/aws/nextjs.ts"), "utf8");
const OPEN_NEXT_VERSION = /const DEFAULT_OPEN_NEXT_VERSION = "([^"]+)"/.exec(NEXTJS_COMPONENT)![1]!;
/** The server function's runtime in SST's build plan (`server: { ... runtime: "nodejs24.x" }`). */
const SERVER_RUNTIME = /server: \{[\s\S]*?runtime: "(nodejs\d+\.x)"/.exec(NEXTJS_COMPONENT)![1]!;
const NODE_MAJOR = Number(/^nodejs(\d+)\.x$/.exec(SERVER_RUNTIME)![1]);
const AUTH_SECRET = "portal-bundle-secret-portal-bundle-secret";
/** SSO as sst.config.ts sets it up: settings in the environment, the client secret through the link. */
const OIDC_CLIENT_SECRET = "portal-bundle-oidc-secret";

let root: string;
let server: LambdaContainer;
let origin: { bundle: string; handler: string; wrapper: string; converter: string; streaming: boolean };
let figures: { buildMs: number; bundleBytes: number; node: string };

beforeAll(async () => {
  const started = Date.now();
  if (!(process.env.BUNDLE_TEST_REUSE_OPENNEXT === "1" && fs.existsSync(path.join(ROOT, ".open-next/open-next.output.json")))) {
    // SST's own command (nextjs.ts normalizeBuildCommand). The image optimiser's sharp download needs GitHub, which
    // this machine cannot reach; OpenNext logs that and still writes the server function, which is what is tested here.
    execFileSync("npx", ["--yes", `@opennextjs/aws@${OPEN_NEXT_VERSION}`, "build"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
  }
  const buildMs = Date.now() - started;
  const output = JSON.parse(fs.readFileSync(path.join(ROOT, ".open-next/open-next.output.json"), "utf8")) as { origins: { default: typeof origin } };
  origin = output.origins.default;
  root = fs.mkdtempSync(path.join(os.tmpdir(), "pep-portal-bundle-"));
  const task = path.join(root, "task");
  // What SST uploads as the server function: the bundle folder, as is.
  fs.cpSync(path.join(ROOT, origin.bundle), task, { recursive: true, dereference: true });
  const bundleBytes = Number(execFileSync("du", ["-sb", task], { encoding: "utf8" }).split("\t")[0]);
  const node = lambdaNode(NODE_MAJOR);
  figures = { buildMs, bundleBytes, node: node.version };
  // Every resource sst.config.ts links to the portal (`link`), with made-up names: these pages reach none of them.
  const sstEnv = writeSstResourceFile(task, {
    App: { name: "partner-export-portal", stage: "bundle-test" },
    ExportQueue: { type: "sst.aws.Queue", url: "https://sqs.eu-west-1.amazonaws.com/123456789012/exports" },
    ExportDeadLetterQueue: { type: "sst.aws.Queue", url: "https://sqs.eu-west-1.amazonaws.com/123456789012/exports-dlq" },
    DeliveryQueue: { type: "sst.aws.Queue", url: "https://sqs.eu-west-1.amazonaws.com/123456789012/deliveries" },
    DeliveryDeadLetterQueue: { type: "sst.aws.Queue", url: "https://sqs.eu-west-1.amazonaws.com/123456789012/deliveries-dlq" },
    UnloadBucket: { type: "sst.aws.Bucket", name: "pep-unload" },
    ArchiveBucket: { type: "sst.aws.Bucket", name: "pep-archive" },
    Jobs: { type: "sst.aws.Dynamo", name: "pep-jobs" },
    Redshift: { type: "sst.sst.Linkable", clusterIdentifier: "acme-dw", workgroupName: "", database: "dev", iamRoleArn: "arn:aws:iam::123456789012:role/RedshiftUnload", dbUser: "exporter" },
    RedshiftSecretArn: { type: "sst.sst.Secret", value: "" },
    AuthSecret: { type: "sst.sst.Secret", value: AUTH_SECRET },
    OidcClientSecret: { type: "sst.sst.Secret", value: OIDC_CLIENT_SECRET },
  });
  server = await startLambdaContainer({
    node: node.bin,
    dir: task,
    handler: origin.handler,
    env: {
      AWS_LAMBDA_FUNCTION_NAME: "bundle-test-portal-server",
      AWS_REGION: "eu-west-1",
      // No AWS is reached for these pages; credentials keep the SDK from looking for any.
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      // sst.config.ts `environment`, and what SST's Nextjs adds for the server function.
      EXPORT_BACKEND: "aws",
      NODE_ENV: "production",
      PUBLIC_URL: "https://portal.example.com",
      MAIL_FROM: "Acme Flowers Exports <exports@acmeflowers.test>",
      RETENTION_DAYS: "7",
      DATA_DIR: path.join(root, "tmp"),
      LOG_LEVEL: "warn",
      OIDC_ISSUER: "https://login.example.com/realms/partners",
      OIDC_CLIENT_ID: "export-portal",
      OIDC_NAME: "Acme SSO",
      OIDC_SUPPLIER_DOMAINS: "rose.example=sup_rose",
      CACHE_BUCKET_NAME: "pep-portal-cache",
      CACHE_BUCKET_KEY_PREFIX: "_cache",
      CACHE_BUCKET_REGION: "eu-west-1",
      ...sstEnv,
    },
  });
  console.info(
    `[bundles] portal: OpenNext ${OPEN_NEXT_VERSION} build ${Math.round(buildMs / 1000)} s; server function ${Math.round(bundleBytes / 1048576)} MB; ` +
      `Node ${node.version} (${SERVER_RUNTIME}); init ${server.initMs} ms`,
  );
}, 900_000);

afterAll(() => {
  server?.stop();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

/** An API Gateway v2 (HTTP API / function URL) event, the shape the origin's aws-apigw-v2 converter reads. */
function httpEvent(method: string, rawPath: string, headers: Record<string, string> = {}) {
  const now = Date.now();
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath,
    rawQueryString: "",
    cookies: [],
    headers: { host: "portal.example.com", "x-forwarded-proto": "https", "user-agent": "bundle-test", accept: "*/*", ...headers },
    requestContext: {
      accountId: "123456789012",
      apiId: "bundletest",
      domainName: "portal.example.com",
      domainPrefix: "portal",
      http: { method, path: rawPath, protocol: "HTTP/1.1", sourceIp: "203.0.113.7", userAgent: "bundle-test" },
      requestId: `req-${now}`,
      routeKey: "$default",
      stage: "$default",
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    isBase64Encoded: false,
  };
}

interface HttpResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}

const bodyOf = (r: HttpResult) => (r.isBase64Encoded ? Buffer.from(r.body, "base64").toString("utf8") : r.body);

describe(`the portal's server function on Node ${NODE_MAJOR} (${SERVER_RUNTIME}), built by OpenNext as SST builds it`, () => {
  it("is the origin SST wires: a Lambda handler behind the API Gateway v2 converter", () => {
    expect(origin).toMatchObject({ handler: "index.handler", wrapper: "aws-lambda", converter: "aws-apigw-v2" });
    console.info(`[bundles] portal figures ${JSON.stringify(figures)}`);
  });

  it("renders /signin in aws mode (email and password form, no demo accounts)", async () => {
    const res = await server.invoke<HttpResult>(httpEvent("GET", "/signin", { accept: "text/html" }));
    const html = bodyOf(res);
    expect(res.statusCode, server.output().slice(-3000)).toBe(200);
    expect(res.headers["content-type"]).toMatch(/text\/html/);
    expect(html).toMatch(/Sign in/);
    expect(html).toMatch(/type="password"/);
    // The demo accounts are shown in local mode only.
    expect(html).not.toContain("demo-password");
    // SSO is on: OIDC_ISSUER is set and the client secret came from Resource.OidcClientSecret (nothing else holds it).
    expect(html).toMatch(/Sign in with (<!-- -->)?Acme SSO/);
  });

  it("serves a route handler: GET /api/v1/openapi.json with the deployment's public URL", async () => {
    const res = await server.invoke<HttpResult>(httpEvent("GET", "/api/v1/openapi.json", { accept: "application/json" }));
    expect(res.statusCode, server.output().slice(-3000)).toBe(200);
    const doc = JSON.parse(bodyOf(res)) as { openapi: string; servers?: Array<{ url: string }> };
    expect(doc.openapi).toMatch(/^3\.1/);
    expect(JSON.stringify(doc.servers ?? [])).toContain("https://portal.example.com");
  });

  it("answers an API call without a session with the API's 401, having built the aws adapters", async () => {
    const res = await server.invoke<HttpResult>(httpEvent("GET", "/api/v1/exports", { accept: "application/json" }));
    expect(res.statusCode, server.output().slice(-3000)).toBe(401);
    expect(JSON.parse(bodyOf(res))).toMatchObject({ error: { code: "unauthorized" } });
  });

  it("has loaded neither better-sqlite3's nor DuckDB's native addon", async () => {
    const loaded = await server.sharedObjects();
    expect(loaded.filter((f) => /better_sqlite3|duckdb/i.test(f))).toEqual([]);
    expect(server.output()).not.toMatch(/Cannot find (package|module)|ERR_DLOPEN_FAILED|NODE_MODULE_VERSION/);
  });
});
