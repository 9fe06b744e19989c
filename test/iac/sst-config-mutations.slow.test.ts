/**
 * Mutation tests of the IaC rules: each case breaks one thing in a copy of
 * sst.config.ts, evaluates the copy as sst-config.test.ts evaluates the real
 * one, and expects the rule that guards that thing to report it. A case whose
 * text no longer occurs in sst.config.ts fails too (update the case with the
 * config). In the slow suite: one evaluation per case, ~5 s each.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { deployment, violations } from "./aws-rules";
import { evaluateSstConfig, REPO_ROOT } from "./sst-eval";
import { CLUSTER_ENV, SERVERLESS_ENV } from "./scenarios";

const CONFIG = readFileSync(path.join(REPO_ROOT, "sst.config.ts"), "utf8");

interface Mutation {
  what: string;
  from: string;
  to: string;
  rule: string;
  env?: Record<string, string>;
}

const MUTATIONS: Mutation[] = [
  { what: "DLQ keeps SQS's default 30 s visibility", from: "      visibilityTimeout: visibilityFor(DLQ_WORKER_TIMEOUT_MINUTES),\n", to: "", rule: "queue-visibility" },
  { what: "export queue visibility 20 minutes for a 15-minute worker", from: "visibilityTimeout: visibilityFor(WORKER_TIMEOUT_MINUTES),", to: 'visibilityTimeout: "20 minutes",', rule: "queue-visibility" },
  { what: "maxReceiveCount 50", from: "retry: 3 }", to: "retry: 50 }", rule: "queue-subscription" },
  { what: "worker without partial batch responses", from: "batch: { size: 1, partialResponses: true }", to: "batch: { size: 1, partialResponses: false }", rule: "queue-subscription" },
  { what: "worker batch of 5", from: "batch: { size: 1, partialResponses: true }", to: "batch: { size: 5, partialResponses: true }", rule: "queue-subscription" },
  { what: "DLQ retention 3 days", from: "two weeks for inspection.\n      transform: { queue: (args) => void (args.messageRetentionSeconds = 14 * 86_400) },", to: "two weeks for inspection.\n      transform: { queue: (args) => void (args.messageRetentionSeconds = 3 * 86_400) },", rule: "dlq-retention" },
  { what: "worker memory 1024 MB", from: 'memory: "3008 MB"', to: 'memory: "1024 MB"', rule: "function-sizing" },
  { what: "worker without the 10 GB spool", from: '        storage: "10 GB",\n', to: "", rule: "function-sizing" },
  { what: "logs kept forever", from: 'const LOG_RETENTION = "1 month" as const;', to: 'const LOG_RETENTION = "forever" as const;', rule: "function-settings" },
  { what: "Node 20 runtime", from: "runtime: bundle.LAMBDA_RUNTIME,", to: 'runtime: "nodejs20.x" as const,', rule: "function-settings" },
  { what: "AUTH_SECRET back in the environment", from: '      LOG_LEVEL: "info",\n', to: '      LOG_LEVEL: "info",\n      AUTH_SECRET: authSecret.value,\n', rule: "no-secret-in-env" },
  {
    what: "OIDC client secret in the portal's environment",
    from: "      environment: { ...environment, ...sso },\n",
    to: "      environment: { ...environment, ...sso, OIDC_CLIENT: oidcClientSecret.value },\n",
    rule: "no-secret-in-env",
    env: SERVERLESS_ENV,
  },
  { what: "table not linked", from: "unloadBucket, archiveBucket, jobs, mail,", to: "unloadBucket, archiveBucket, mail,", rule: "iam-commands" },
  { what: "SST's Email link (ses:Send* on *) instead of Mail", from: "unloadBucket, archiveBucket, jobs, mail,", to: "unloadBucket, archiveBucket, jobs, email,", rule: "iam-no-star" },
  { what: "SST's default sqs:* link grant", from: "sst.Linkable.wrap(sst.aws.Queue, (q) => ({ properties: { url: q.url }, include: grant(adapterActions(\"sqs\", () => true), [q.arn]) }));", to: "", rule: "iam-named-actions" },
  { what: "ExecuteStatement on *", from: 'actions: ["redshift-data:ExecuteStatement"], resources: [redshiftArn]', to: 'actions: ["redshift-data:ExecuteStatement"], resources: ["*"]', rule: "iam-no-star" },
  { what: "kms:Decrypt without kms:ViaService", from: "                conditions: [{ test: \"StringEquals\", variable: \"kms:ViaService\", values: [$interpolate`secretsmanager.${region.name}.amazonaws.com`] }],\n", to: "", rule: "redshift-auth", env: SERVERLESS_ENV },
  { what: "unload parts kept 3 days", from: 'expiresIn: "1 day"', to: 'expiresIn: "3 days"', rule: "bucket-lifecycle" },
  { what: "archives kept 30 days", from: "expiresIn: `${retentionDays + 1} days`", to: 'expiresIn: "30 days"', rule: "bucket-lifecycle" },
  { what: "no abort rule for incomplete uploads", from: "abortIncompleteMultipartUpload: { daysAfterInitiation: 1 }", to: "abortIncompleteMultipartUpload: { daysAfterInitiation: 7 }", rule: "bucket-lifecycle" },
  { what: "public unload bucket", from: 'const unloadBucket = new sst.aws.Bucket("UnloadBucket", {\n', to: 'const unloadBucket = new sst.aws.Bucket("UnloadBucket", {\n      access: "public",\n', rule: "bucket-public-access" },
  { what: "TTL on another attribute", from: "ttl: schema.TTL_ATTRIBUTE,", to: 'ttl: "ttl",', rule: "dynamo-ttl" },
  { what: "Email manages Route 53", from: "      dns: false,\n", to: "", rule: "mail" },
  { what: "complaints not suppressed", from: 'suppressedReasons: ["BOUNCE", "COMPLAINT"]', to: 'suppressedReasons: ["BOUNCE"]', rule: "mail" },
  { what: "no bounce/complaint event destination", from: '      events: [{ name: "bounces-and-complaints", types: ["bounce", "complaint"], topic: mailEvents.arn }],\n', to: "", rule: "mail" },
  { what: "SES may publish to the mail-events topic for any source", from: '              { test: "ArnLike", variable: "aws:SourceArn", values: [email.nodes.configurationSet.arn] },\n', to: "", rule: "mail" },
  { what: "duration alarm at 95% of the timeout", from: "threshold: timeoutSeconds * 1000 * 0.8", to: "threshold: timeoutSeconds * 1000 * 0.95", rule: "alarms" },
  { what: "DLQ alarm on messages sent instead of depth", from: 'metricName: "ApproximateNumberOfMessagesVisible"', to: 'metricName: "NumberOfMessagesSent"', rule: "alarms" },
  { what: "native modules installed again", from: "nodejs: bundle.LAMBDA_NODEJS,", to: 'nodejs: { ...bundle.LAMBDA_NODEJS, install: ["better-sqlite3", "@duckdb/node-api"] },', rule: "no-native-install" },
  { what: "deprecated sst.aws.Cron", from: 'const sweep = new sst.aws.CronV2("ExpirySweep", {\n      schedule: "cron(15 3 * * ? *)",\n      timezone: "UTC",\n      function:', to: 'const sweep = new sst.aws.Cron("ExpirySweep", {\n      schedule: "cron(15 3 * * ? *)",\n      function:', rule: "cron" },
];

describe("each rule catches its mutation of sst.config.ts", () => {
  it.each(MUTATIONS.map((m) => [m.what, m] as const))("%s", async (_what, m) => {
    const at = CONFIG.indexOf(m.from);
    expect(at, `"${m.from}" no longer occurs in sst.config.ts: update this case`).toBeGreaterThanOrEqual(0);
    expect(CONFIG.indexOf(m.from, at + 1), "the text to mutate occurs more than once").toBe(-1);
    const mutated = CONFIG.slice(0, at) + m.to + CONFIG.slice(at + m.from.length);
    const found = violations(deployment(await evaluateSstConfig({ env: m.env ?? CLUSTER_ENV, configSource: mutated })));
    expect(found.filter((v) => v.startsWith(`[${m.rule}]`)), `violations found: ${JSON.stringify(found, null, 1)}`).not.toEqual([]);
  }, 180_000);
});
