/**
 * The environment's schema: every variable the portal and the worker read,
 * parsed once by `loadConfig` (lib/config.ts). Empty strings count as unset;
 * production-only values are required only with EXPORT_BACKEND=aws.
 */
import { z } from "zod";

/** Empty strings count as unset, so `FOO=` in a shell or .env does not defeat a default. */
const opt = <T extends z.ZodTypeAny>(schema: T) => z.preprocess((v) => (v === "" ? undefined : v), schema);
const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) => opt(z.coerce.number().int().min(min).max(max).default(def));

export const ZEnv = z
  .object({
    EXPORT_BACKEND: opt(z.enum(["local", "aws"]).default("local")),
    NODE_ENV: opt(z.enum(["development", "production", "test"]).default("development")),
    LOG_LEVEL: opt(z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info")),
    /** Base URL people reach the portal at (links in emails, local signed URLs). Default: http://localhost:$PORT. */
    PUBLIC_URL: opt(z.url().optional()),
    /** The port `next dev` / `next start` listen on; PUBLIC_URL follows it unless set. */
    PORT: int(3000, 1, 65_535),
    /**
     * Signs sessions and (locally) download URLs; local mode only (generated and kept in DATA_DIR
     * when unset). In aws mode the secret is `sst.Secret("AuthSecret")`, read through `Resource` at
     * run time, and this variable is refused: a plain Lambda environment variable shows the secret
     * to anyone who can read the function's configuration.
     */
    AUTH_SECRET: opt(z.string().min(32, "AUTH_SECRET must be at least 32 characters").optional()),
    RETENTION_DAYS: int(7, 1, 365),
    DOWNLOAD_URL_TTL_SECONDS: int(300, 10, 7 * 86_400),
    ZIP_LEVEL: int(1, 0, 9),
    /** Spool and temp entries untouched this long belong to no live archive and are swept (a killed worker left them). */
    TEMP_SWEEP_AGE_MINUTES: int(60, 5, 7 * 24 * 60),
    WORKER_CONCURRENCY: int(2, 1, 64),
    /**
     * How long a worker waits for its statement before handing it to a delayed poll message. A
     * handover costs at least POLL_DELAY_SECONDS on a query that ends just after the budget, and a
     * 10M-row local export's query takes ~3 s: with 3 s here, the common case sat on that cliff
     * (the bench saw +1 to +2.5 s). Queries longer than this still never hold a worker.
     */
    INLINE_WAIT_MS: int(10_000, 0, 60_000),
    POLL_DELAY_SECONDS: int(2, 0, 900),
    MAX_POLL_DELAY_SECONDS: int(60, 1, 900),
    RETRY_BASE_SECONDS: int(10, 0, 900),
    VISIBILITY_SECONDS: int(60, 5, 43_200),
    /** How long a dead archiving delivery keeps others off its export (renewed every 2 s while it lives). */
    ARCHIVE_LEASE_SECONDS: int(30, 1, 3600),
    /**
     * The resumable archive (issue 11): target size of each multipart part (S3: at least 5 MiB,
     * at most 10,000 parts, so 64 MB parts reach 640 GB of uploaded bytes; copied parts come on top),
     * and the largest server-side copy part (S3 UploadPartCopy: at most 5 GiB), which is also
     * how far apart the safe points inside a copied entry are.
     */
    ARCHIVE_PART_MB: int(64, 1, 5120),
    ARCHIVE_COPY_PART_MB: int(1024, 10, 5120),
    /**
     * A delivery writing an archive hands it over through the queue (checkpoint saved, message
     * sent again) once it has run this long; on Lambda the invocation's remaining time decides as
     * well. 0 hands over at every safe point (tests). The default never hands over locally.
     */
    ARCHIVE_DELIVERY_SECONDS: int(86_400, 0, 7 * 86_400),
    /**
     * A fresh archive whose unloaded parts could be read at this rate (MB/s) in the delivery's
     * time is hashed in one go (node:crypto, several times cheaper than the saveable hash); a
     * crash or hand-over then starts that archive again, with the saveable hash. 0: never.
     */
    ARCHIVE_ONE_GO_MB_PER_SECOND: int(40, 0, 100_000),
    /** A queued export untouched this long has its message sent again (a crash between record and send lost it). */
    REQUEUE_AFTER_SECONDS: int(300, 10, 86_400),
    MAIL_FROM: opt(z.string().default("Acme Flowers Exports <exports@acmeflowers.test>")),

    // partner API (issue 5)
    /** Exports one supplier may have queued or running at once; one more gets 429. */
    MAX_ACTIVE_EXPORTS_PER_SUPPLIER: int(5, 1, 1000),
    /** API requests per minute per supplier (session) or per token, counted across every process (SQLite / DynamoDB, see `RateLimiter`). */
    API_RATE_LIMIT_PER_MINUTE: int(120, 1, 100_000),
    IDEMPOTENCY_TTL_HOURS: int(24, 1, 24 * 7),
    /** http://localhost endpoints for webhooks; default: allowed with the local backend only. */
    WEBHOOK_ALLOW_HTTP_LOCALHOST: opt(z.enum(["true", "false"]).transform((v) => v === "true").optional()),
    WEBHOOK_TIMEOUT_MS: int(10_000, 100, 30_000),
    WEBHOOK_RETRY_BASE_SECONDS: int(30, 0, 900),
    WEBHOOK_MAX_AGE_HOURS: int(24, 1, 72),
    /** Worker slots of the delivery lane (webhooks, pushes): separate from WORKER_CONCURRENCY's export slots. */
    DELIVERY_CONCURRENCY: int(4, 1, 64),
    /** Attempts in flight at once to one webhook endpoint, and to all of one supplier's endpoints (across every worker). */
    WEBHOOK_MAX_PER_ENDPOINT: int(2, 1, 100),
    WEBHOOK_MAX_PER_SUPPLIER: int(4, 1, 100),
    /** Circuit breaker: an endpoint whose last N deliveries all failed gets no attempt for the cooldown. */
    WEBHOOK_BREAKER_FAILURES: int(5, 1, 1000),
    WEBHOOK_BREAKER_COOLDOWN_SECONDS: int(300, 1, 86_400),

    // schedules and push destinations (issue 14)
    /** How often the local worker runs the scheduler tick (on AWS a one-minute cron does). */
    SCHEDULE_TICK_SECONDS: int(30, 1, 3600),
    /** Attempts of one push to an S3 bucket or SFTP server before it counts as failed and the supplier is emailed. */
    DESTINATION_MAX_ATTEMPTS: int(5, 1, 20),
    DESTINATION_RETRY_BASE_SECONDS: int(30, 0, 900),
    /** SFTP servers on loopback; default: allowed with the local backend only (like webhooks). */
    DESTINATION_ALLOW_LOOPBACK: opt(z.enum(["true", "false"]).transform((v) => v === "true").optional()),
    /** Local mode: an S3-compatible endpoint for S3 destinations (with these keys); unset, S3 destinations need AWS. */
    DESTINATION_S3_ENDPOINT: opt(z.url().optional()),
    DESTINATION_S3_ACCESS_KEY_ID: opt(z.string().optional()),
    DESTINATION_S3_SECRET_ACCESS_KEY: opt(z.string().optional()),

    // teams (issue 15)
    /** Audit log entries older than this are removed (DynamoDB TTL; the worker's sweep locally). */
    AUDIT_RETENTION_DAYS: int(400, 1, 3650),
    /** Lifetime of an invitation link and of a password-reset link. */
    INVITATION_TTL_HOURS: int(72, 1, 24 * 30),
    PASSWORD_RESET_TTL_MINUTES: int(30, 5, 24 * 60),
    /**
     * SSO through OpenID Connect (issue 15): issuer, client id and secret together, or none (SSO off).
     * In aws mode the secret is `sst.Secret("OidcClientSecret")`, read through `Resource`, and
     * OIDC_CLIENT_SECRET is refused, as AUTH_SECRET is.
     */
    OIDC_ISSUER: opt(z.url().optional()),
    OIDC_CLIENT_ID: opt(z.string().optional()),
    OIDC_CLIENT_SECRET: opt(z.string().optional()),
    /** The sign-in button says "Sign in with <this>". */
    OIDC_NAME: opt(z.string().max(60).default("single sign-on")),
    /** Email domain to supplier, e.g. `rose.example=sup_rose,tulip.example=sup_tulip`. */
    OIDC_SUPPLIER_DOMAINS: opt(z.string().default("")),
    /** A claim holding the supplier id; when present it wins over the domain. */
    OIDC_SUPPLIER_CLAIM: opt(z.string().max(100).optional()),
    /** The membership people get when SSO creates their account. */
    OIDC_DEFAULT_MEMBERSHIP: opt(z.enum(["owner", "member", "viewer"]).default("member")),

    // local backend
    DATA_DIR: opt(z.string().default(".data")),
    DUCKDB_PATH: opt(z.string().optional()),
    /**
     * DuckDB's memory_limit. Exports stream (COPY without a sort needs ~30 MB whatever the size),
     * but DuckDB keeps table blocks it read up to this limit, so it is what the worker's memory
     * grows by with the export's size. No dataset sorts (see lib/datasets/types.ts), so every
     * export fits 48MB; the smallest that still writes 10M-row Parquet (32MB does not).
     */
    DUCKDB_MEMORY_LIMIT: opt(z.string().regex(/^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$/i).default("48MB")),
    DUCKDB_THREADS: int(2, 1, 64),
    UNLOAD_MAX_FILE_MB: int(256, 1, 6200),

    // aws backend: required only with EXPORT_BACKEND=aws, and then checked by resolveAwsSettings
    // (under SST the linked resources stand in for the resource names and URLs).
    AWS_REGION: opt(z.string().optional()),
    EXPORT_QUEUE_URL: opt(z.url().optional()),
    EXPORT_DLQ_URL: opt(z.url().optional()),
    DELIVERY_QUEUE_URL: opt(z.url().optional()),
    DELIVERY_DLQ_URL: opt(z.url().optional()),
    UNLOAD_BUCKET: opt(z.string().optional()),
    ARCHIVE_BUCKET: opt(z.string().optional()),
    JOBS_TABLE: opt(z.string().optional()),
    REDSHIFT_CLUSTER_ID: opt(z.string().optional()),
    REDSHIFT_WORKGROUP: opt(z.string().optional()),
    REDSHIFT_DATABASE: opt(z.string().optional()),
    REDSHIFT_SECRET_ARN: opt(z.string().optional()),
    REDSHIFT_DB_USER: opt(z.string().optional()),
    REDSHIFT_IAM_ROLE_ARN: opt(z.string().optional()),
    S3_UPLOAD_PART_MB: opt(z.coerce.number().int().min(5).max(5000).optional()),
    /** Emulator endpoints (tests, local development); unset in AWS. */
    AWS_ENDPOINT_URL_S3: opt(z.url().optional()),
    AWS_ENDPOINT_URL_SQS: opt(z.url().optional()),
    AWS_ENDPOINT_URL_DYNAMODB: opt(z.url().optional()),
    AWS_ENDPOINT_URL_SES: opt(z.url().optional()),
    AWS_ENDPOINT_URL_REDSHIFT_DATA: opt(z.url().optional()),
    AWS_S3_FORCE_PATH_STYLE: opt(z.enum(["true", "false"]).transform((v) => v === "true").optional()),
  })
  .superRefine((env, ctx) => {
    if (env.EXPORT_BACKEND === "aws") {
      if (!env.OIDC_ISSUER !== !env.OIDC_CLIENT_ID) {
        ctx.addIssue({ code: "custom", path: ["OIDC_ISSUER"], message: 'SSO needs OIDC_ISSUER and OIDC_CLIENT_ID together (and the sst.Secret("OidcClientSecret"))' });
      }
      if (env.OIDC_CLIENT_SECRET) {
        ctx.addIssue({
          code: "custom",
          path: ["OIDC_CLIENT_SECRET"],
          message: 'is not read with EXPORT_BACKEND=aws: link sst.Secret("OidcClientSecret") instead (npx sst secret set OidcClientSecret <value>)',
        });
      }
    } else {
      const oidc = [env.OIDC_ISSUER, env.OIDC_CLIENT_ID, env.OIDC_CLIENT_SECRET].filter(Boolean).length;
      if (oidc !== 0 && oidc !== 3) {
        ctx.addIssue({ code: "custom", path: ["OIDC_ISSUER"], message: "SSO needs OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET together" });
      }
    }
    for (const pair of (env.OIDC_SUPPLIER_DOMAINS ?? "").split(",").filter((p) => p.trim())) {
      if (!/^\s*[a-z0-9.-]+\.[a-z]{2,}\s*=\s*[a-z0-9_]{1,40}\s*$/i.test(pair)) {
        ctx.addIssue({ code: "custom", path: ["OIDC_SUPPLIER_DOMAINS"], message: `"${pair}" is not domain=supplier_id` });
      }
    }
    if (env.EXPORT_BACKEND === "aws" && env.AUTH_SECRET) {
      ctx.addIssue({
        code: "custom",
        path: ["AUTH_SECRET"],
        message: 'is not read with EXPORT_BACKEND=aws: link sst.Secret("AuthSecret") instead (npx sst secret set AuthSecret <value>)',
      });
    }
  });
export type Env = z.infer<typeof ZEnv>;
