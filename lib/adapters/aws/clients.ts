/**
 * AWS SDK clients for the AWS adapters, built on first use: the web process
 * never talks to Redshift or SES, and nothing is built at module scope (the
 * Lambda and Next runtimes import modules long before config is known).
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { RedshiftDataClient } from "@aws-sdk/client-redshift-data";
import { S3Client } from "@aws-sdk/client-s3";
import { SESClient } from "@aws-sdk/client-ses";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/** A client, or a function that returns it (called on every use; memoise it). */
export type ClientSource<T> = T | (() => T);

export function resolveClient<T>(source: ClientSource<T>): T {
  return typeof source === "function" ? (source as () => T)() : source;
}

/** Memoises `make`: the first call builds, later calls return the same value. */
export function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  let built = false;
  return () => {
    if (!built) {
      value = make();
      built = true;
    }
    return value as T;
  };
}

/** Where the SDK clients connect. Endpoints are for emulators; in AWS they are unset. */
export interface AwsClientSettings {
  region?: string;
  endpoints: {
    s3?: string;
    sqs?: string;
    dynamodb?: string;
    ses?: string;
    redshiftData?: string;
  };
  /** Path-style S3 URLs (`http://host/bucket/key`), which S3 emulators need. */
  s3ForcePathStyle: boolean;
}

export interface AwsClients {
  s3: () => S3Client;
  sqs: () => SQSClient;
  dynamo: () => DynamoDBDocumentClient;
  ses: () => SESClient;
  redshiftData: () => RedshiftDataClient;
  /** Closes the sockets of every client built so far. */
  destroy(): void;
}

/**
 * One lazily built client per service, sharing region and endpoint settings.
 * Credentials come from the SDK's default chain (the Lambda role, the
 * instance profile, or AWS_PROFILE / AWS_ACCESS_KEY_ID locally).
 */
export function createAwsClients(settings: AwsClientSettings): AwsClients {
  const base = (endpoint: string | undefined) => ({
    ...(settings.region ? { region: settings.region } : {}),
    ...(endpoint ? { endpoint } : {}),
  });
  const built: Array<{ destroy(): void }> = [];
  const track = <T extends { destroy(): void }>(client: T): T => {
    built.push(client);
    return client;
  };
  return {
    s3: lazy(() =>
      track(
        new S3Client({
          ...base(settings.endpoints.s3),
          forcePathStyle: settings.s3ForcePathStyle,
          // Checksums only where S3 requires them (DeleteObjects): archives carry their own
          // SHA-256, and presigned GET URLs stay free of checksum-mode parameters.
          requestChecksumCalculation: "WHEN_REQUIRED",
          responseChecksumValidation: "WHEN_REQUIRED",
        }),
      ),
    ),
    sqs: lazy(() => track(new SQSClient(base(settings.endpoints.sqs)))),
    dynamo: lazy(() => {
      const raw = track(new DynamoDBClient(base(settings.endpoints.dynamodb)));
      return DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
    }),
    ses: lazy(() => track(new SESClient(base(settings.endpoints.ses)))),
    redshiftData: lazy(() => track(new RedshiftDataClient(base(settings.endpoints.redshiftData)))),
    destroy() {
      for (const client of built.splice(0)) client.destroy();
    },
  };
}
