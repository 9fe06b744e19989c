/**
 * EXPORT_BACKEND=aws configuration: every missing setting named at once,
 * the Redshift target rules, SST links preferred over variables, and adapters
 * built without touching the network (clients are lazy).
 */
import { describe, expect, it } from "vitest";
import { buildDeps, loadConfig } from "@/lib/config";
import { createLogger } from "@/lib/log";
import { resolveAwsSettings, sstLinks, type AwsEnv, type LinkedLookup } from "@/lib/adapters/aws/settings";
import { DynamoJobStore } from "@/lib/adapters/aws/dynamo-job-store";
import { RedshiftWarehouse } from "@/lib/adapters/aws/redshift-warehouse";
import { S3ObjectStore } from "@/lib/adapters/aws/s3-object-store";
import { SesMailer } from "@/lib/adapters/aws/ses-mailer";
import { SqsQueue } from "@/lib/adapters/aws/sqs-queue";

const complete: AwsEnv = {
  AWS_REGION: "eu-west-1",
  EXPORT_QUEUE_URL: "https://sqs.eu-west-1.amazonaws.com/123456789012/exports",
  EXPORT_DLQ_URL: "https://sqs.eu-west-1.amazonaws.com/123456789012/exports-dlq",
  DELIVERY_QUEUE_URL: "https://sqs.eu-west-1.amazonaws.com/123456789012/deliveries",
  DELIVERY_DLQ_URL: "https://sqs.eu-west-1.amazonaws.com/123456789012/deliveries-dlq",
  UNLOAD_BUCKET: "pep-unload",
  ARCHIVE_BUCKET: "pep-archive",
  JOBS_TABLE: "pep-jobs",
  REDSHIFT_CLUSTER_ID: "acme-dw",
  REDSHIFT_DATABASE: "dev",
  REDSHIFT_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rs-AbCdEf",
  REDSHIFT_IAM_ROLE_ARN: "arn:aws:iam::123456789012:role/RedshiftUnload",
};
const noLinks: LinkedLookup = () => undefined;

describe("resolveAwsSettings", () => {
  it("names every missing variable in one error", () => {
    const err = (() => {
      try {
        resolveAwsSettings({}, noLinks);
      } catch (e) {
        return e as Error;
      }
      throw new Error("expected a throw");
    })();
    for (const v of ["EXPORT_QUEUE_URL", "EXPORT_DLQ_URL", "DELIVERY_QUEUE_URL", "DELIVERY_DLQ_URL", "UNLOAD_BUCKET", "ARCHIVE_BUCKET", "JOBS_TABLE", "REDSHIFT_DATABASE", "REDSHIFT_IAM_ROLE_ARN", "REDSHIFT_CLUSTER_ID or REDSHIFT_WORKGROUP"]) {
      expect(err.message).toContain(v);
    }
  });

  it("builds a provisioned target with a secret or a database user, and a serverless one", () => {
    expect(resolveAwsSettings(complete, noLinks).redshift.target).toEqual({ kind: "cluster", clusterIdentifier: "acme-dw", database: "dev", secretArn: complete.REDSHIFT_SECRET_ARN });
    expect(resolveAwsSettings({ ...complete, REDSHIFT_SECRET_ARN: undefined, REDSHIFT_DB_USER: "exporter" }, noLinks).redshift.target).toEqual({
      kind: "cluster",
      clusterIdentifier: "acme-dw",
      database: "dev",
      dbUser: "exporter",
    });
    expect(resolveAwsSettings({ ...complete, REDSHIFT_CLUSTER_ID: undefined, REDSHIFT_WORKGROUP: "acme-wg", REDSHIFT_SECRET_ARN: undefined }, noLinks).redshift.target).toEqual({
      kind: "workgroup",
      workgroupName: "acme-wg",
      database: "dev",
    });
  });

  it.each([
    [{ REDSHIFT_WORKGROUP: "acme-wg" }, /not both/],
    [{ REDSHIFT_DB_USER: "exporter" }, /REDSHIFT_SECRET_ARN or REDSHIFT_DB_USER .*not both/],
    [{ REDSHIFT_SECRET_ARN: undefined }, /REDSHIFT_SECRET_ARN or REDSHIFT_DB_USER: required/],
    [{ REDSHIFT_CLUSTER_ID: undefined, REDSHIFT_WORKGROUP: "acme-wg", REDSHIFT_DB_USER: "exporter" }, /does not apply to Redshift Serverless/],
  ])("refuses the Redshift settings %j", (change, message) => {
    expect(() => resolveAwsSettings({ ...complete, ...change }, noLinks)).toThrow(message);
  });

  it("prefers linked SST resources over environment variables", () => {
    const links: Record<string, Record<string, string>> = {
      ExportQueue: { url: "https://sqs/linked-queue" },
      ExportDeadLetterQueue: { url: "https://sqs/linked-dlq" },
      DeliveryQueue: { url: "https://sqs/linked-deliveries" },
      DeliveryDeadLetterQueue: { url: "https://sqs/linked-deliveries-dlq" },
      UnloadBucket: { name: "linked-unload" },
      ArchiveBucket: { name: "linked-archive" },
      Jobs: { name: "linked-jobs" },
      Redshift: { workgroupName: "linked-wg", database: "linked-db", iamRoleArn: "arn:aws:iam::1:role/linked" },
      RedshiftSecretArn: { value: "arn:linked-secret" },
      Mail: { sender: "acmeflowers.com", configSet: "portal-config-set" },
    };
    const lookup: LinkedLookup = (resource, property) => links[resource]?.[property];
    const s = resolveAwsSettings({ ...complete, REDSHIFT_CLUSTER_ID: undefined }, lookup);
    expect(s).toMatchObject({
      queueUrl: "https://sqs/linked-queue",
      deadLetterQueueUrl: "https://sqs/linked-dlq",
      deliveryQueueUrl: "https://sqs/linked-deliveries",
      deliveryDeadLetterQueueUrl: "https://sqs/linked-deliveries-dlq",
      unloadBucket: "linked-unload",
      archiveBucket: "linked-archive",
      jobsTable: "linked-jobs",
      redshift: { target: { kind: "workgroup", workgroupName: "linked-wg", database: "linked-db", secretArn: "arn:linked-secret" }, iamRoleArn: "arn:aws:iam::1:role/linked" },
      mailConfigurationSet: "portal-config-set",
    });
    expect(resolveAwsSettings(complete, noLinks).mailConfigurationSet).toBeUndefined();
  });

  it("finds no links outside SST", () => {
    expect(sstLinks()("ExportQueue", "url")).toBeUndefined();
  });
});

/** SST's links as a deployed function sees them when only the AuthSecret is linked. */
const secretOnly = (resource: string, property: string) =>
  resource === "AuthSecret" && property === "value" ? "aws-config-test-secret-aws-config-test" : undefined;

describe("buildDeps with EXPORT_BACKEND=aws", () => {
  const env = {
    EXPORT_BACKEND: "aws",
    LOG_LEVEL: "silent",
    ...Object.fromEntries(Object.entries(complete).map(([k, v]) => [k, String(v)])),
    S3_UPLOAD_PART_MB: "8",
    UNLOAD_MAX_FILE_MB: "1",
    AWS_S3_FORCE_PATH_STYLE: "",
  };

  it("builds the AWS adapters without contacting AWS", async () => {
    const config = loadConfig(env, secretOnly);
    const deps = await buildDeps(config, createLogger("silent", "test"));
    expect(deps.jobs).toBeInstanceOf(DynamoJobStore);
    expect(deps.queue).toBeInstanceOf(SqsQueue);
    expect(deps.deadLetterQueue).toBeInstanceOf(SqsQueue);
    expect(deps.deliveryQueue).toBeInstanceOf(SqsQueue);
    expect(deps.deliveryDeadLetterQueue).toBeInstanceOf(SqsQueue);
    expect(deps.warehouse).toBeInstanceOf(RedshiftWarehouse);
    expect(deps.unloadStore).toBeInstanceOf(S3ObjectStore);
    expect(deps.archiveStore).toBeInstanceOf(S3ObjectStore);
    expect(deps.mailer).toBeInstanceOf(SesMailer);
    expect(config.env.AWS_S3_FORCE_PATH_STYLE).toBeUndefined();
    await deps.close();
  });

  it("fails with every missing variable when the AWS settings are absent", async () => {
    const config = loadConfig({ EXPORT_BACKEND: "aws", EXPORT_QUEUE_URL: "" }, secretOnly);
    await expect(buildDeps(config, createLogger("silent", "test"))).rejects.toThrow(/EXPORT_QUEUE_URL: required with EXPORT_BACKEND=aws[\s\S]*JOBS_TABLE/);
  });

  it("refuses malformed AWS variables when parsing the environment", () => {
    expect(() => loadConfig({ ...env, EXPORT_QUEUE_URL: "not a url" })).toThrow(/EXPORT_QUEUE_URL/);
    expect(() => loadConfig({ ...env, AWS_S3_FORCE_PATH_STYLE: "yes" })).toThrow(/AWS_S3_FORCE_PATH_STYLE/);
    expect(() => loadConfig({ ...env, S3_UPLOAD_PART_MB: "4" })).toThrow(/S3_UPLOAD_PART_MB/);
  });
});
