/**
 * Where the AWS backend's resources are. Under SST (Lambda, the deployed
 * Next app, `sst dev`) they come from linked resources through `Resource`;
 * anywhere else (a worker on a VM, tests against emulators) from environment
 * variables. This is the only module that knows SST exists.
 */
import { Resource } from "sst";
import type { AwsClientSettings } from "./clients";
import type { RedshiftTarget } from "./redshift-warehouse";

/** The environment variables of the AWS backend, as parsed by `lib/config.ts` (empty = unset). */
export interface AwsEnv {
  AWS_REGION?: string;
  EXPORT_QUEUE_URL?: string;
  EXPORT_DLQ_URL?: string;
  DELIVERY_QUEUE_URL?: string;
  DELIVERY_DLQ_URL?: string;
  UNLOAD_BUCKET?: string;
  ARCHIVE_BUCKET?: string;
  JOBS_TABLE?: string;
  REDSHIFT_CLUSTER_ID?: string;
  REDSHIFT_WORKGROUP?: string;
  REDSHIFT_DATABASE?: string;
  REDSHIFT_SECRET_ARN?: string;
  REDSHIFT_DB_USER?: string;
  REDSHIFT_IAM_ROLE_ARN?: string;
  S3_UPLOAD_PART_MB?: number;
  AWS_ENDPOINT_URL_S3?: string;
  AWS_ENDPOINT_URL_SQS?: string;
  AWS_ENDPOINT_URL_DYNAMODB?: string;
  AWS_ENDPOINT_URL_SES?: string;
  AWS_ENDPOINT_URL_REDSHIFT_DATA?: string;
  AWS_S3_FORCE_PATH_STYLE?: boolean;
}

export interface AwsSettings {
  clients: AwsClientSettings;
  queueUrl: string;
  deadLetterQueueUrl: string;
  deliveryQueueUrl: string;
  deliveryDeadLetterQueueUrl: string;
  unloadBucket: string;
  archiveBucket: string;
  jobsTable: string;
  redshift: { target: RedshiftTarget; iamRoleArn: string };
  /** Multipart part size of archive uploads. */
  s3PartSizeBytes: number;
  /** SES configuration set of the linked `sst.aws.Email` (event publishing); none outside SST. */
  mailConfigurationSet?: string;
}

/** Names of the linked resources in `sst.config.ts`, and the property each one is read by. */
export const SST_LINKS = {
  queue: "ExportQueue",
  deadLetterQueue: "ExportDeadLetterQueue",
  deliveryQueue: "DeliveryQueue",
  deliveryDeadLetterQueue: "DeliveryDeadLetterQueue",
  unloadBucket: "UnloadBucket",
  archiveBucket: "ArchiveBucket",
  table: "Jobs",
  redshift: "Redshift",
  redshiftSecretArn: "RedshiftSecretArn",
  email: "Mail",
  /** The SSO client secret, linked to the portal only (empty while SSO is off). */
  oidcClientSecret: "OidcClientSecret",
} as const;

/** Reads a property of a linked resource; undefined outside SST or when not linked. */
export type LinkedLookup = (resource: string, property: string) => string | undefined;

/** The SST links of this process, or a lookup that finds nothing when SST is not running it. */
export function sstLinks(): LinkedLookup {
  const resources = Resource as unknown as Record<string, unknown>;
  let active = false;
  try {
    active = "App" in resources;
  } catch {
    active = false;
  }
  if (!active) return () => undefined;
  return (resource, property) => {
    if (!(resource in resources)) return undefined;
    const value = (resources[resource] as Record<string, unknown> | undefined)?.[property];
    return typeof value === "string" && value !== "" ? value : undefined;
  };
}

/**
 * A linked `sst.Secret`'s value (`Resource.<name>.value`), read at run time:
 * in Lambda and the deployed portal SST ships linked values in an encrypted
 * file (SST_KEY_FILE), not in the function's environment. Throws when the
 * secret is not linked or empty, naming what to do.
 */
export function linkedSecret(linked: LinkedLookup, name: string, { minLength = 32 }: { minLength?: number } = {}): string {
  const value = linked(name, "value");
  if (!value) {
    throw new Error(
      `Invalid environment for EXPORT_BACKEND=aws:\n  ${name}: sst.Secret("${name}") is not linked to this process or is empty ` +
        `(npx sst secret set ${name} <value> --stage <stage>; under tests, SST_RESOURCE_${name}='{"value":"..."}')`,
    );
  }
  if (value.length < minLength) throw new Error(`Invalid environment for EXPORT_BACKEND=aws:\n  ${name}: must be at least ${minLength} characters`);
  return value;
}

/**
 * Resolves every setting, linked resources first, then environment variables.
 * Throws one error that names every missing variable, so a misconfigured
 * deployment says all that is wrong at once.
 */
export function resolveAwsSettings(env: AwsEnv, linked: LinkedLookup = sstLinks()): AwsSettings {
  const missing: string[] = [];
  const need = (value: string | undefined, variable: string): string => {
    if (value === undefined || value === "") {
      missing.push(variable);
      return "";
    }
    return value;
  };

  const queueUrl = need(linked(SST_LINKS.queue, "url") ?? env.EXPORT_QUEUE_URL, "EXPORT_QUEUE_URL");
  const deadLetterQueueUrl = need(linked(SST_LINKS.deadLetterQueue, "url") ?? env.EXPORT_DLQ_URL, "EXPORT_DLQ_URL");
  const deliveryQueueUrl = need(linked(SST_LINKS.deliveryQueue, "url") ?? env.DELIVERY_QUEUE_URL, "DELIVERY_QUEUE_URL");
  const deliveryDeadLetterQueueUrl = need(linked(SST_LINKS.deliveryDeadLetterQueue, "url") ?? env.DELIVERY_DLQ_URL, "DELIVERY_DLQ_URL");
  const unloadBucket = need(linked(SST_LINKS.unloadBucket, "name") ?? env.UNLOAD_BUCKET, "UNLOAD_BUCKET");
  const archiveBucket = need(linked(SST_LINKS.archiveBucket, "name") ?? env.ARCHIVE_BUCKET, "ARCHIVE_BUCKET");
  const jobsTable = need(linked(SST_LINKS.table, "name") ?? env.JOBS_TABLE, "JOBS_TABLE");

  const clusterId = linked(SST_LINKS.redshift, "clusterIdentifier") ?? env.REDSHIFT_CLUSTER_ID;
  const workgroup = linked(SST_LINKS.redshift, "workgroupName") ?? env.REDSHIFT_WORKGROUP;
  const database = need(linked(SST_LINKS.redshift, "database") ?? env.REDSHIFT_DATABASE, "REDSHIFT_DATABASE");
  const iamRoleArn = need(linked(SST_LINKS.redshift, "iamRoleArn") ?? env.REDSHIFT_IAM_ROLE_ARN, "REDSHIFT_IAM_ROLE_ARN");
  const secretArn = linked(SST_LINKS.redshiftSecretArn, "value") ?? env.REDSHIFT_SECRET_ARN;
  const dbUser = linked(SST_LINKS.redshift, "dbUser") ?? env.REDSHIFT_DB_USER;

  const problems: string[] = [];
  let target: RedshiftTarget | undefined;
  if (clusterId && workgroup) {
    problems.push("set either REDSHIFT_CLUSTER_ID (provisioned) or REDSHIFT_WORKGROUP (serverless), not both");
  } else if (clusterId) {
    if (secretArn && dbUser) problems.push("set either REDSHIFT_SECRET_ARN or REDSHIFT_DB_USER for a provisioned cluster, not both");
    else if (!secretArn && !dbUser) missing.push("REDSHIFT_SECRET_ARN or REDSHIFT_DB_USER");
    else target = { kind: "cluster", clusterIdentifier: clusterId, database, ...(secretArn ? { secretArn } : { dbUser }) };
  } else if (workgroup) {
    if (dbUser) problems.push("REDSHIFT_DB_USER does not apply to Redshift Serverless; use REDSHIFT_SECRET_ARN or the caller's IAM identity");
    else target = { kind: "workgroup", workgroupName: workgroup, database, ...(secretArn ? { secretArn } : {}) };
  } else {
    missing.push("REDSHIFT_CLUSTER_ID or REDSHIFT_WORKGROUP");
  }

  if (missing.length > 0 || problems.length > 0 || !target) {
    const lines = [...missing.map((v) => `  ${v}: required with EXPORT_BACKEND=aws`), ...problems.map((p) => `  ${p}`)];
    throw new Error(`Invalid environment for EXPORT_BACKEND=aws:\n${lines.join("\n")}`);
  }

  return {
    clients: {
      region: env.AWS_REGION,
      endpoints: {
        s3: env.AWS_ENDPOINT_URL_S3,
        sqs: env.AWS_ENDPOINT_URL_SQS,
        dynamodb: env.AWS_ENDPOINT_URL_DYNAMODB,
        ses: env.AWS_ENDPOINT_URL_SES,
        redshiftData: env.AWS_ENDPOINT_URL_REDSHIFT_DATA,
      },
      s3ForcePathStyle: env.AWS_S3_FORCE_PATH_STYLE ?? false,
    },
    queueUrl,
    deadLetterQueueUrl,
    deliveryQueueUrl,
    deliveryDeadLetterQueueUrl,
    unloadBucket,
    archiveBucket,
    jobsTable,
    redshift: { target, iamRoleArn },
    s3PartSizeBytes: (env.S3_UPLOAD_PART_MB ?? 16) * 1024 * 1024,
    mailConfigurationSet: linked(SST_LINKS.email, "configSet"),
  };
}
