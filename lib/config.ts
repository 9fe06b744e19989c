/**
 * The environment, parsed once with zod, and the one place that builds the
 * adapters. `EXPORT_BACKEND` picks them: `local` (default; DuckDB, SQLite, a
 * folder, an outbox — a fresh clone needs no .env at all) or `aws`.
 */
import path from "node:path";
import type { Logger } from "pino";
import { DynamoApiTokenStore } from "./adapters/aws/dynamo-api-token-store";
import { DynamoRequestClaimStore } from "./adapters/aws/dynamo-request-claim-store";
import { DynamoWebhookStore } from "./adapters/aws/dynamo-webhook-store";
import { deriveKey, localSecret } from "./secrets";
import { webhookOutcomeHook } from "./webhooks/deliveries";
import { DynamoScheduleStore } from "./adapters/aws/dynamo-schedule-store";
import { S3Pusher } from "./adapters/destinations/s3-pusher";
import { SftpPusher } from "./adapters/destinations/sftp-pusher";
import type { ScheduleSupport } from "./schedules/deps";
import { scheduleOutcomeHook } from "./schedules/push";
import { STSClient } from "@aws-sdk/client-sts";
import type { WebhookSettings } from "./webhooks/settings";
import { createAwsClients } from "./adapters/aws/clients";
import { DynamoJobStore } from "./adapters/aws/dynamo-job-store";
import { DynamoRateLimiter } from "./adapters/aws/dynamo-rate-limiter";
import { DynamoUserStore } from "./adapters/aws/dynamo-user-store";
import { DynamoSupplierStore } from "./adapters/aws/dynamo-supplier-store";
import { DynamoAuditStore } from "./adapters/aws/dynamo-audit-store";
import { RedshiftWarehouse } from "./adapters/aws/redshift-warehouse";
import { S3ObjectStore } from "./adapters/aws/s3-object-store";
import { SesMailer } from "./adapters/aws/ses-mailer";
import { DynamoMailSuppressions, type MailSuppression } from "./adapters/aws/dynamo-mail-suppressions";
import { linkedSecret, resolveAwsSettings, SST_LINKS, sstLinks, type LinkedLookup } from "./adapters/aws/settings";
import { SqsQueue } from "./adapters/aws/sqs-queue";
import type { ExportDeps, ExportSettings } from "./exports/deps";
import { createLogger } from "./log";
import type { ApiTokenStore, AuditStore, Queue, RateLimiter, RequestClaimStore, SupplierStore, UserStore, Warehouse, WebhookStore } from "./ports";

// Sub-keys of the one secret, for the modules that already import them from here.
export { deriveKey } from "./secrets";

/**
 * The disk stores' temp folder (DiskObjectStore's TMP_DIR), named here because AWS mode must not
 * import the local adapters; workers/temp-sweep.test.ts checks the two agree.
 */
const DISK_STORE_TMP_DIR = ".tmp";

/** Receives of one delivery-lane message before it is dead-lettered (only store faults make one come back). */
export const DELIVERY_MAX_RECEIVES = 5;

/** Limits of the partner API. */
export interface PartnerApiSettings {
  /** Exports one supplier may have queued or running at once. */
  maxActiveExportsPerSupplier: number;
  /** Requests per minute per supplier session or API token. */
  requestsPerMinute: number;
  /** How long an Idempotency-Key is remembered. */
  idempotencyTtlSeconds: number;
}

export { ZEnv, type Env } from "./env";
import { ZEnv, type Env } from "./env";

export interface AppConfig {
  env: Env;
  /** Schedules and push destinations. */
  schedules: Pick<ScheduleSupport, "limits" | "settings"> & { tickSeconds: number; allowLoopback: boolean };
  /** Absolute data folder of the local backend. */
  dataDir: string;
  authSecret: string;
  settings: ExportSettings;
  api: PartnerApiSettings;
  webhooks: WebhookSettings;
  teams: TeamSettings;
  /** Null when SSO is not set up for this deployment. */
  sso: SsoSettings | null;
}

export interface SsoSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  name: string;
  /** Lower-cased email domain -> supplier id. */
  domains: Record<string, string>;
  supplierClaim: string | null;
  defaultMembership: "owner" | "member" | "viewer";
}

/** Members, invitations, password reset and the audit log. */
export interface TeamSettings {
  auditRetentionDays: number;
  invitationTtlSeconds: number;
  passwordResetTtlSeconds: number;
  /** HMAC key of invitation and reset links (derived from AUTH_SECRET). */
  linkKey: string;
}

/**
 * Parses the environment; throws one readable error listing every bad variable.
 * `linked` reads SST's linked resources (the aws-mode secret); tests pass their own.
 */
export function loadConfig(source: Record<string, string | undefined> = process.env, linked: LinkedLookup = sstLinks()): AppConfig {
  const parsed = ZEnv.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid environment:\n${lines.join("\n")}`);
  }
  const env = parsed.data;
  const dataDir = path.resolve(env.DATA_DIR);
  const authSecret = env.EXPORT_BACKEND === "aws" ? linkedSecret(linked, "AuthSecret") : (env.AUTH_SECRET ?? localSecret(dataDir));
  // SSO is on when the issuer is set; in aws mode its secret is linked like AuthSecret (any length: the provider chose it).
  const oidcClientSecret = !env.OIDC_ISSUER ? undefined : env.EXPORT_BACKEND === "aws" ? linkedSecret(linked, SST_LINKS.oidcClientSecret, { minLength: 1 }) : env.OIDC_CLIENT_SECRET;
  return {
    env,
    dataDir,
    authSecret,
    settings: {
      publicUrl: (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/$/, ""),
      retentionDays: env.RETENTION_DAYS,
      downloadUrlTtlSeconds: env.DOWNLOAD_URL_TTL_SECONDS,
      zipLevel: env.ZIP_LEVEL,
      spoolDir: path.join(dataDir, "spool"),
      // Local mode's disk stores write objects to `<root>/.tmp` first (see DiskObjectStore).
      tempDirs: [path.join(dataDir, "spool"), ...(env.EXPORT_BACKEND === "local" ? ["unload-store", "archive-store"].map((s) => path.join(dataDir, s, DISK_STORE_TMP_DIR)) : [])],
      tempMaxAgeMs: env.TEMP_SWEEP_AGE_MINUTES * 60_000,
      inlineWaitMs: env.INLINE_WAIT_MS,
      pollDelaySeconds: env.POLL_DELAY_SECONDS,
      maxPollDelaySeconds: env.MAX_POLL_DELAY_SECONDS,
      retryBaseSeconds: env.RETRY_BASE_SECONDS,
      maxReceives: 3,
      visibilitySeconds: env.VISIBILITY_SECONDS,
      archiveLeaseSeconds: env.ARCHIVE_LEASE_SECONDS,
      archivePartBytes: env.ARCHIVE_PART_MB * 1024 * 1024,
      archiveCopyPartBytes: env.ARCHIVE_COPY_PART_MB * 1024 * 1024,
      // Server-side copies pay on S3 (the bytes skip the Lambda); on disk a copy is a local read and write either way.
      archiveCopyParts: env.EXPORT_BACKEND === "aws",
      archiveDeliverySeconds: env.ARCHIVE_DELIVERY_SECONDS,
      archiveOneGoBytesPerSecond: env.ARCHIVE_ONE_GO_MB_PER_SECOND * 1e6,
      requeueAfterSeconds: env.REQUEUE_AFTER_SECONDS,
    },
    api: {
      maxActiveExportsPerSupplier: env.MAX_ACTIVE_EXPORTS_PER_SUPPLIER,
      requestsPerMinute: env.API_RATE_LIMIT_PER_MINUTE,
      idempotencyTtlSeconds: env.IDEMPOTENCY_TTL_HOURS * 3600,
    },
    schedules: {
      limits: { maxActiveExportsPerSupplier: env.MAX_ACTIVE_EXPORTS_PER_SUPPLIER, idempotencyTtlSeconds: env.IDEMPOTENCY_TTL_HOURS * 3600 },
      settings: {
        secretKey: deriveKey(authSecret, "destination-credentials"),
        maxAttempts: env.DESTINATION_MAX_ATTEMPTS,
        retryBaseSeconds: env.DESTINATION_RETRY_BASE_SECONDS,
      },
      tickSeconds: env.SCHEDULE_TICK_SECONDS,
      allowLoopback: env.DESTINATION_ALLOW_LOOPBACK ?? env.EXPORT_BACKEND === "local",
    },
    webhooks: {
      allowHttpLocalhost: env.WEBHOOK_ALLOW_HTTP_LOCALHOST ?? env.EXPORT_BACKEND === "local",
      timeoutMs: env.WEBHOOK_TIMEOUT_MS,
      retryBaseSeconds: env.WEBHOOK_RETRY_BASE_SECONDS,
      maxAgeSeconds: env.WEBHOOK_MAX_AGE_HOURS * 3600,
      maxPerEndpoint: env.WEBHOOK_MAX_PER_ENDPOINT,
      maxPerSupplier: env.WEBHOOK_MAX_PER_SUPPLIER,
      breakerFailures: env.WEBHOOK_BREAKER_FAILURES,
      breakerCooldownSeconds: env.WEBHOOK_BREAKER_COOLDOWN_SECONDS,
      secretKey: deriveKey(authSecret, "webhook-signing-secrets"),
    },
    teams: {
      auditRetentionDays: env.AUDIT_RETENTION_DAYS,
      invitationTtlSeconds: env.INVITATION_TTL_HOURS * 3600,
      passwordResetTtlSeconds: env.PASSWORD_RESET_TTL_MINUTES * 60,
      linkKey: deriveKey(authSecret, "invitation-and-reset-links"),
    },
    sso:
      env.OIDC_ISSUER && env.OIDC_CLIENT_ID && oidcClientSecret
        ? {
            issuer: env.OIDC_ISSUER.replace(/\/$/, ""),
            clientId: env.OIDC_CLIENT_ID,
            clientSecret: oidcClientSecret,
            name: env.OIDC_NAME,
            domains: Object.fromEntries(
              env.OIDC_SUPPLIER_DOMAINS.split(",")
                .filter((p) => p.trim())
                .map((p) => p.split("=").map((x) => x.trim().toLowerCase()) as [string, string]),
            ),
            supplierClaim: env.OIDC_SUPPLIER_CLAIM ?? null,
            defaultMembership: env.OIDC_DEFAULT_MEMBERSHIP,
          }
        : null,
  };
}

export interface AppDeps extends ExportDeps {
  config: AppConfig;
  users: UserStore;
  suppliers: SupplierStore;
  /** The audit log (append-only). */
  audit: AuditStore;
  tokens: ApiTokenStore;
  /** Idempotency keys, active-request fingerprints, and the delivery lane's concurrency slots. */
  claims: RequestClaimStore;
  webhooks: { store: WebhookStore; settings: WebhookSettings };
  /**
   * The delivery lane (issue 12, finding 2): webhook attempts and other
   * deliveries to suppliers' systems (message types in workers/delivery-dispatch.ts)
   * go here, never on `queue`, worked by slots of their own, so an endpoint
   * that hangs or fails never holds up an export.
   */
  deliveryQueue: Queue;
  /** Where delivery messages land after failing every receive (store faults only; each attempt is a new message). */
  deliveryDeadLetterQueue: Queue;
  /** Schedules, destinations and their pushes (lib/schedules). */
  schedules: ScheduleSupport;
  /** The API's request rate limit, shared by every process of the deployment (see `RateLimiter` in lib/ports.ts). */
  rateLimiter: RateLimiter;
  /** Addresses SES reported as bounced or complaining (AWS only: the local outbox has no bounces). */
  mailSuppressions?: { record(s: MailSuppression): Promise<void>; get(email: string): Promise<MailSuppression | null> };
  close(): Promise<void>;
}

/** The API's rate limit window: `requestsPerMinute` per key per minute. */
const RATE_WINDOW_SECONDS = 60;

/** The local backend's adapters, as `lib/adapters/local/index.ts` exports them. */
export type LocalAdapters = typeof import("./adapters/local/index");

export interface BuildOptions {
  /**
   * The local adapters module, for a caller that cannot follow this file's dynamic import:
   * Playwright's test runner (CommonJS transform) leaves `import()` of a .ts file to Node,
   * which cannot load it, so its helpers import the module statically and pass it here.
   */
  localAdapters?: LocalAdapters;
}

/**
 * Builds every adapter for the configured backend and composes the export
 * outcome hooks. Call once per process (see `getDeps`).
 */
export async function buildDeps(config: AppConfig, log: Logger, opts: BuildOptions = {}): Promise<AppDeps> {
  const deps: AppDeps = { ...(await buildBackend(config, log, opts)), outcomeHooks: [] };
  // Subscribers to ready/failed exports, awaited in this order after the email.
  deps.outcomeHooks = [webhookOutcomeHook(deps), scheduleOutcomeHook(deps)];
  return deps;
}

/**
 * The adapters of the configured backend. The local adapters are imported inside the local
 * branch, so aws mode (Lambda, the deployed portal) never loads them nor their native modules
 * (better-sqlite3, @duckdb/node-api).
 */
async function buildBackend(config: AppConfig, log: Logger, opts: BuildOptions): Promise<Omit<AppDeps, "outcomeHooks">> {
  const { env, dataDir, settings } = config;
  switch (env.EXPORT_BACKEND) {
    case "local": {
      const {
        DiskObjectStore,
        DuckDbWarehouse,
        OutboxMailer,
        openSqlite,
        SqliteApiTokenStore,
        SqliteJobStore,
        SqliteQueue,
        SqliteRateLimiter,
        SqliteRequestClaimStore,
        SqliteScheduleStore,
        SqliteUserStore,
        SqliteWebhookStore,
        SqliteSupplierStore,
        SqliteAuditStore,
      } = opts.localAdapters ?? (await import("./adapters/local/index"));
      const db = openSqlite(path.join(dataDir, "jobs.sqlite"));
      const unloadRoot = path.join(dataDir, "unload-store");
      const signingSecret = deriveKey(config.authSecret, "local-file-urls");
      let warehouse: InstanceType<typeof DuckDbWarehouse> | undefined;
      // The web process never runs queries; open DuckDB only where one is submitted.
      const lazyWarehouse: Warehouse = {
        submitUnload: (req) => getWarehouse().submitUnload(req),
        preview: (req) => getWarehouse().preview(req),
        describe: (id) => getWarehouse().describe(id),
        cancel: (id) => getWarehouse().cancel(id),
        currentTime: () => getWarehouse().currentTime(),
        close: async () => warehouse?.close(),
      };
      const getWarehouse = () =>
        (warehouse ??= new DuckDbWarehouse({
          dbPath: path.resolve(env.DUCKDB_PATH ?? path.join(dataDir, "warehouse.duckdb")),
          unloadRoot,
          memoryLimit: env.DUCKDB_MEMORY_LIMIT,
          threads: env.DUCKDB_THREADS,
          maxFileSizeMb: env.UNLOAD_MAX_FILE_MB,
        }));
      return {
        config,
        jobs: new SqliteJobStore(db),
        users: new SqliteUserStore(db),
        suppliers: new SqliteSupplierStore(db),
        audit: new SqliteAuditStore(db),
        tokens: new SqliteApiTokenStore(db),
        claims: new SqliteRequestClaimStore(db),
        webhooks: { store: new SqliteWebhookStore(db), settings: config.webhooks },
        rateLimiter: new SqliteRateLimiter({ db, limit: config.api.requestsPerMinute, windowSeconds: RATE_WINDOW_SECONDS }),
        queue: new SqliteQueue({ db, name: "exports", deadLetter: { name: "exports-dlq", maxReceives: settings.maxReceives } }),
        deadLetterQueue: new SqliteQueue({ db, name: "exports-dlq" }),
        deliveryQueue: new SqliteQueue({ db, name: "deliveries", deadLetter: { name: "deliveries-dlq", maxReceives: DELIVERY_MAX_RECEIVES } }),
        deliveryDeadLetterQueue: new SqliteQueue({ db, name: "deliveries-dlq" }),
        warehouse: lazyWarehouse,
        unloadStore: new DiskObjectStore({ root: unloadRoot, signingSecret, publicBaseUrl: settings.publicUrl }),
        archiveStore: new DiskObjectStore({ root: path.join(dataDir, "archive-store"), signingSecret, publicBaseUrl: settings.publicUrl }),
        mailer: new OutboxMailer({ dir: path.join(dataDir, "outbox"), from: env.MAIL_FROM }),
        schedules: {
          store: new SqliteScheduleStore(db),
          limits: config.schedules.limits,
          settings: config.schedules.settings,
          pushers: {
            sftp: new SftpPusher({ allowLoopback: config.schedules.allowLoopback }),
            s3: new S3Pusher(
              env.DESTINATION_S3_ENDPOINT
                ? {
                    kind: "endpoint",
                    endpoint: env.DESTINATION_S3_ENDPOINT,
                    credentials: { accessKeyId: env.DESTINATION_S3_ACCESS_KEY_ID ?? "", secretAccessKey: env.DESTINATION_S3_SECRET_ACCESS_KEY ?? "" },
                    forcePathStyle: true,
                  }
                : { kind: "unavailable", reason: "S3 destinations need the AWS deployment (or DESTINATION_S3_ENDPOINT in local mode)." },
            ),
          },
        },
        settings,
        log,
        now: () => new Date(),
        close: async () => {
          await lazyWarehouse.close();
          db.close();
        },
      };
    }
    case "aws": {
      const aws = resolveAwsSettings(env);
      const clients = createAwsClients(aws.clients);
      const unloadStore = new S3ObjectStore({ client: clients.s3, bucket: aws.unloadBucket, partSize: aws.s3PartSizeBytes });
      const mailSuppressions = new DynamoMailSuppressions({ client: clients.dynamo, tableName: aws.jobsTable });
      return {
        config,
        jobs: new DynamoJobStore({ client: clients.dynamo, tableName: aws.jobsTable }),
        users: new DynamoUserStore({ client: clients.dynamo, tableName: aws.jobsTable }),
        suppliers: new DynamoSupplierStore({ client: clients.dynamo, tableName: aws.jobsTable }),
        audit: new DynamoAuditStore({ client: clients.dynamo, tableName: aws.jobsTable, retentionDays: config.teams.auditRetentionDays }),
        tokens: new DynamoApiTokenStore({ client: clients.dynamo, tableName: aws.jobsTable }),
        claims: new DynamoRequestClaimStore({ client: clients.dynamo, tableName: aws.jobsTable }),
        webhooks: { store: new DynamoWebhookStore({ client: clients.dynamo, tableName: aws.jobsTable }), settings: config.webhooks },
        rateLimiter: new DynamoRateLimiter({
          client: clients.dynamo,
          tableName: aws.jobsTable,
          limit: config.api.requestsPerMinute,
          windowSeconds: RATE_WINDOW_SECONDS,
        }),
        // The main queue's redrive policy (maxReceiveCount = settings.maxReceives) is set by sst.config.ts.
        queue: new SqsQueue({ client: clients.sqs, queueUrl: aws.queueUrl }),
        deadLetterQueue: new SqsQueue({ client: clients.sqs, queueUrl: aws.deadLetterQueueUrl }),
        // The delivery lane's redrive (maxReceiveCount = DELIVERY_MAX_RECEIVES) is set by sst.config.ts too.
        deliveryQueue: new SqsQueue({ client: clients.sqs, queueUrl: aws.deliveryQueueUrl }),
        deliveryDeadLetterQueue: new SqsQueue({ client: clients.sqs, queueUrl: aws.deliveryDeadLetterQueueUrl }),
        warehouse: new RedshiftWarehouse({
          client: clients.redshiftData,
          target: aws.redshift.target,
          iamRoleArn: aws.redshift.iamRoleArn,
          unloadBucket: aws.unloadBucket,
          unloadStore,
          // Redshift's MAXFILESIZE starts at 5 MB.
          maxFileSizeMb: Math.max(5, env.UNLOAD_MAX_FILE_MB),
        }),
        unloadStore,
        archiveStore: new S3ObjectStore({ client: clients.s3, bucket: aws.archiveBucket, partSize: aws.s3PartSizeBytes }),
        mailer: new SesMailer({ client: clients.ses, from: env.MAIL_FROM, configurationSet: aws.mailConfigurationSet, suppressions: mailSuppressions }),
        mailSuppressions,
        schedules: {
          store: new DynamoScheduleStore({ client: clients.dynamo, tableName: aws.jobsTable }),
          limits: config.schedules.limits,
          settings: config.schedules.settings,
          pushers: {
            sftp: new SftpPusher({ allowLoopback: config.schedules.allowLoopback }),
            // The supplier's role, assumed with the destination's external id; STS is built on first push.
            s3: new S3Pusher({
              kind: "assume-role",
              sts: lazySts(aws.clients.region),
              ...(env.AWS_ENDPOINT_URL_S3 ? { s3: { endpoint: env.AWS_ENDPOINT_URL_S3, forcePathStyle: env.AWS_S3_FORCE_PATH_STYLE ?? false } } : {}),
            }),
          },
        },
        settings,
        log,
        now: () => new Date(),
        close: async () => clients.destroy(),
      };
    }
    default: {
      const never: never = env.EXPORT_BACKEND;
      throw new Error(`Unknown EXPORT_BACKEND ${String(never)}`);
    }
  }
}

function lazySts(region: string | undefined): () => STSClient {
  let client: STSClient | undefined;
  return () => (client ??= new STSClient({ region }));
}

const globalForDeps = globalThis as unknown as { __exportDeps?: Promise<AppDeps> };

/**
 * The process's adapters, built on first use (one promise, so concurrent first
 * requests share one build). Kept on globalThis so Next's dev server, which
 * re-evaluates modules on every edit, does not open a new SQLite handle each
 * time. A failed build is forgotten, so the next call says what is wrong again.
 */
export function getDeps(): Promise<AppDeps> {
  if (!globalForDeps.__exportDeps) {
    const building = (async () => {
      const config = loadConfig();
      return buildDeps(config, createLogger(config.env.LOG_LEVEL, "portal"));
    })();
    globalForDeps.__exportDeps = building;
    building.catch(() => {
      if (globalForDeps.__exportDeps === building) globalForDeps.__exportDeps = undefined;
    });
  }
  return globalForDeps.__exportDeps;
}
