/**
 * The S3 pusher against the S3 emulator (s3rver): the file read back byte for
 * byte, "Test connection" leaving nothing behind, and the cross-account role
 * assumed with the destination's external id (STS mocked: there is no STS emulator).
 */
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3Pusher } from "@/lib/adapters/destinations/s3-pusher";
import { PushError } from "@/lib/ports";
import type { DestinationRecord } from "@/lib/schedules/model";
import { createBucket, REGION, S3_CREDENTIALS, startS3, type S3Emulator } from "@/test/support/emulators";

let s3: S3Emulator;
let bucket: { name: string; drop(): Promise<void> };

beforeAll(async () => {
  s3 = await startS3();
  bucket = await createBucket(s3.client);
});
afterAll(async () => {
  await bucket.drop();
  await s3.stop();
});

function destination(overrides: Partial<Extract<DestinationRecord["config"], { kind: "s3" }>> = {}): DestinationRecord {
  return {
    id: "dst_0000000000aaaaaaaaaaaa",
    supplierId: "sup_rose",
    name: "Rose lake",
    config: { kind: "s3", bucket: bucket.name, prefix: "exports/daily/", region: REGION, roleArn: null, externalId: "pep-sup_rose-abc", ...overrides },
    sealedCredentials: null,
    createdBy: "usr_rose",
    createdAt: "2026-03-01T00:00:00.000Z",
  };
}

const endpointPusher = () => new S3Pusher({ kind: "endpoint", endpoint: s3.rawEndpoint, credentials: S3_CREDENTIALS, forcePathStyle: true });

async function keys(prefix: string): Promise<string[]> {
  const out = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket.name, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key!);
}

describe("S3Pusher", () => {
  it("streams the file under the prefix and it reads back identical", async () => {
    const body = randomBytes(6 * 1024 * 1024 + 123); // more than one multipart part
    const result = await endpointPusher().push(destination(), null, "inventory.zip", async () => Readable.from([body]));
    expect(result.location).toBe(`s3://${bucket.name}/exports/daily/inventory.zip`);
    const got = await s3.client.send(new GetObjectCommand({ Bucket: bucket.name, Key: "exports/daily/inventory.zip" }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
  });

  it("Test connection writes a small file and deletes it", async () => {
    const before = await keys("probe/");
    const result = await endpointPusher().test(destination({ prefix: "probe/" }));
    expect(result.location).toMatch(new RegExp(`^s3://${bucket.name}/probe/\\.portal-connection-test-`));
    expect(await keys("probe/")).toEqual(before);
  });

  it("reports a missing bucket as a fault no retry fixes", async () => {
    const err = await endpointPusher().test(destination({ bucket: "no-such-bucket-here" })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PushError);
    expect((err as PushError).retryable).toBe(false);
  });

  it("on AWS assumes the supplier's role with the destination's external id, and writes with those credentials", async () => {
    const sts = new STSClient({ region: REGION, credentials: { accessKeyId: "x", secretAccessKey: "y" } });
    const mock = mockClient(sts);
    mock.on(AssumeRoleCommand).resolves({ Credentials: { AccessKeyId: S3_CREDENTIALS.accessKeyId, SecretAccessKey: S3_CREDENTIALS.secretAccessKey, SessionToken: "t", Expiration: new Date() } });
    const pusher = new S3Pusher({ kind: "assume-role", sts: () => sts, s3: { endpoint: s3.rawEndpoint, forcePathStyle: true } });
    const roleArn = "arn:aws:iam::123456789012:role/acme-portal-upload";
    await pusher.push(destination({ roleArn }), null, "via-role.zip", async () => Readable.from([Buffer.from("zip bytes")]));
    const calls = mock.commandCalls(AssumeRoleCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toMatchObject({ RoleArn: roleArn, ExternalId: "pep-sup_rose-abc", RoleSessionName: "partner-export-dst_0000000000aaaaaaaaaaaa" });
    expect(await keys("exports/daily/via-role.zip")).toEqual(["exports/daily/via-role.zip"]);

    // No role given: refused before anything is sent. A refused AssumeRole is not retried either.
    await expect(pusher.test(destination({ roleArn: null }))).rejects.toMatchObject({ retryable: false, message: expect.stringMatching(/no role to assume/) });
    mock.on(AssumeRoleCommand).rejects(Object.assign(new Error("not authorized to perform sts:AssumeRole"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } }));
    await expect(pusher.test(destination({ roleArn }))).rejects.toMatchObject({ retryable: false, message: expect.stringMatching(/external id pep-sup_rose-abc/) });
  });
});
