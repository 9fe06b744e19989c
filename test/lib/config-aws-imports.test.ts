/**
 * AWS mode never loads the local backend's native modules: with
 * better-sqlite3 and @duckdb/node-api made unloadable, every entry point of
 * the deployed code (the Lambda handlers, the auth options every page and
 * route reads, the API wrapper, route modules) imports, and `getDeps()`
 * builds the aws adapters. Local mode, with the same two modules
 * unloadable, fails: the check can tell. (The bundle tests in test/bundles/
 * prove the same on the Lambda runtime's Node, with the modules absent.)
 */
import { beforeEach, describe, expect, it, vi } from "vitest";
import { sstResourceEnv } from "../support/sst-resources";

const { loaded } = vi.hoisted(() => ({ loaded: [] as string[] }));
vi.mock("better-sqlite3", () => {
  loaded.push("better-sqlite3");
  throw new Error("better-sqlite3 must not load in aws mode");
});
vi.mock("@duckdb/node-api", () => {
  loaded.push("@duckdb/node-api");
  throw new Error("@duckdb/node-api must not load in aws mode");
});

const AWS_ENV = {
  EXPORT_BACKEND: "aws",
  LOG_LEVEL: "silent",
  AWS_REGION: "us-east-1",
  EXPORT_QUEUE_URL: "http://127.0.0.1:9/000000000000/exports",
  EXPORT_DLQ_URL: "http://127.0.0.1:9/000000000000/exports-dlq",
  DELIVERY_QUEUE_URL: "http://127.0.0.1:9/000000000000/deliveries",
  DELIVERY_DLQ_URL: "http://127.0.0.1:9/000000000000/deliveries-dlq",
  UNLOAD_BUCKET: "pep-unload",
  ARCHIVE_BUCKET: "pep-archive",
  JOBS_TABLE: "pep-jobs",
  REDSHIFT_CLUSTER_ID: "acme-dw",
  REDSHIFT_DATABASE: "dev",
  REDSHIFT_DB_USER: "exporter",
  REDSHIFT_IAM_ROLE_ARN: "arn:aws:iam::123456789012:role/RedshiftUnload",
  ...sstResourceEnv({ AuthSecret: { value: "imports-test-secret-imports-test-secret" } }),
};

beforeEach(() => {
  loaded.length = 0;
  vi.resetModules();
  delete (globalThis as { __exportDeps?: unknown }).__exportDeps;
});

describe("EXPORT_BACKEND=aws", () => {
  it("imports every entry point and builds its adapters without loading better-sqlite3 or @duckdb/node-api", async () => {
    Object.assign(process.env, AWS_ENV);
    const entryPoints = [
      () => import("@/workers/sqs"),
      () => import("@/workers/sqs-dlq"),
      () => import("@/workers/sqs-deliveries"),
      () => import("@/lib/auth"),
      () => import("@/lib/api/handler"),
      () => import("@/app/api/v1/exports/route"),
      () => import("@/app/api/auth/[...nextauth]/route"),
      () => import("@/app/api/files/[...key]/route"),
    ];
    for (const load of entryPoints) await load();
    const { getDeps } = await import("@/lib/config");
    const { getAuthOptions } = await import("@/lib/auth");
    const deps = await getDeps();
    expect(deps.jobs.constructor.name).toBe("DynamoJobStore");
    expect(deps.rateLimiter.constructor.name).toBe("DynamoRateLimiter");
    expect(deps.config.authSecret).toBe("imports-test-secret-imports-test-secret");
    expect((await getAuthOptions()).secret).toBe("imports-test-secret-imports-test-secret");
    expect(loaded).toEqual([]);
    await deps.close();
  });

  it("is a check that can fail: local mode with the same modules unloadable does not start", async () => {
    Object.assign(process.env, { EXPORT_BACKEND: "local", DATA_DIR: `/tmp/pep-imports-${process.pid}` });
    const { getDeps } = await import("@/lib/config");
    // (vitest reports the factory's throw as "an error when mocking a module")
    await expect(getDeps()).rejects.toThrow();
    expect(loaded.length).toBeGreaterThan(0);
  });
});
