/**
 * Pushes files into a supplier's own S3 bucket. On AWS the portal assumes the
 * role the supplier created in their account, with the external id the portal
 * generated for that destination (the standard cross-account pattern: the
 * external id stops another AWS customer from pointing the portal at a role
 * they do not own). Locally and in tests the bucket lives on an S3-compatible
 * endpoint (the emulator) with static credentials.
 */
import { randomBytes } from "node:crypto";
import type { Readable } from "node:stream";
import { DeleteObjectCommand, S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { Upload } from "@aws-sdk/lib-storage";
import { PushError, type DestinationPusher, type PushResult } from "@/lib/ports";
import type { DestinationRecord } from "@/lib/schedules/model";
import { awsErrorMessage, awsErrorName, isTransientAwsError } from "../aws/aws-errors";

export type S3PusherOptions =
  /** AWS: assume the destination's role with its external id, then write with those credentials. */
  | {
      kind: "assume-role";
      sts: () => STSClient;
      sessionSeconds?: number;
      /** Emulator endpoint and path style (tests only); AWS_ENDPOINT_URL_S3 in the environment. */
      s3?: Pick<S3ClientConfig, "endpoint" | "forcePathStyle">;
    }
  /** An S3-compatible endpoint with fixed credentials (local mode with an endpoint set, tests). */
  | { kind: "endpoint"; endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string }; forcePathStyle: boolean }
  /** No S3 reachable (local mode without an endpoint): every push says so. */
  | { kind: "unavailable"; reason: string };

type S3Config = Extract<DestinationRecord["config"], { kind: "s3" }>;

/** Refusals that no retry fixes: wrong role or external id, no such bucket, no permission. */
const PERMANENT = new Set(["AccessDenied", "AccessDeniedException", "NoSuchBucket", "InvalidAccessKeyId", "SignatureDoesNotMatch", "PermanentRedirect", "InvalidBucketName", "ValidationError", "MalformedPolicyDocument"]);

export class S3Pusher implements DestinationPusher {
  constructor(private readonly opts: S3PusherOptions) {}

  async push(destination: DestinationRecord, _secret: string | null, fileName: string, open: () => Promise<Readable>): Promise<PushResult> {
    const config = s3Config(destination);
    const key = `${config.prefix}${fileName}`;
    const client = await this.client(destination.id, config);
    try {
      // Multipart and streamed: the object appears whole when the upload completes, or not at all.
      await new Upload({ client, params: { Bucket: config.bucket, Key: key, Body: await open(), ContentType: "application/zip" }, leavePartsOnError: false }).done();
      return { location: `s3://${config.bucket}/${key}` };
    } catch (err) {
      throw pushError(err, `Could not write s3://${config.bucket}/${key}`);
    } finally {
      client.destroy();
    }
  }

  async test(destination: DestinationRecord): Promise<PushResult> {
    const config = s3Config(destination);
    const key = `${config.prefix}.portal-connection-test-${randomBytes(4).toString("hex")}.txt`;
    const client = await this.client(destination.id, config);
    try {
      await new Upload({ client, params: { Bucket: config.bucket, Key: key, Body: "Connection test from the Acme Flowers export portal. Safe to delete.\n", ContentType: "text/plain" } }).done();
      await client.send(new DeleteObjectCommand({ Bucket: config.bucket, Key: key }));
      return { location: `s3://${config.bucket}/${key}` };
    } catch (err) {
      throw pushError(err, `Could not write and delete s3://${config.bucket}/${key}`);
    } finally {
      client.destroy();
    }
  }

  private async client(destinationId: string, config: S3Config): Promise<S3Client> {
    const base: S3ClientConfig = { region: config.region, requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED" };
    switch (this.opts.kind) {
      case "unavailable":
        throw new PushError(this.opts.reason, false);
      case "endpoint":
        return new S3Client({ ...base, endpoint: this.opts.endpoint, credentials: this.opts.credentials, forcePathStyle: this.opts.forcePathStyle });
      case "assume-role": {
        if (!config.roleArn) throw new PushError("This S3 destination has no role to assume: add the role ARN you created for the portal.", false);
        try {
          const out = await this.opts.sts().send(
            new AssumeRoleCommand({
              RoleArn: config.roleArn,
              ExternalId: config.externalId,
              RoleSessionName: `partner-export-${destinationId}`.slice(0, 64),
              DurationSeconds: this.opts.sessionSeconds ?? 3600,
            }),
          );
          const c = out.Credentials;
          if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error("AssumeRole returned no credentials");
          return new S3Client({ ...base, ...this.opts.s3, credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken } });
        } catch (err) {
          throw pushError(err, `Could not assume ${config.roleArn} (check its trust policy names this portal and external id ${config.externalId})`);
        }
      }
    }
  }
}

function s3Config(d: DestinationRecord): S3Config {
  if (d.config.kind !== "s3") throw new PushError(`Destination ${d.id} is not an S3 destination.`, false);
  return d.config;
}

function pushError(err: unknown, what: string): PushError {
  if (err instanceof PushError) return err;
  const name = awsErrorName(err);
  const retryable = !PERMANENT.has(name ?? "") && (isTransientAwsError(err) || !name);
  return new PushError(`${what}: ${awsErrorMessage(err)}`, retryable, { cause: err });
}
