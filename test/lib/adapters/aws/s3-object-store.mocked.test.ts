/**
 * S3ObjectStore paths the emulator cannot show: listings over several pages,
 * prefix deletes over several DeleteObjects batches (s3rver fails large
 * batches on its own), and per-key delete errors.
 */
import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { S3ObjectStore } from "@/lib/adapters/aws/s3-object-store";

const client = new S3Client({ region: "eu-west-1", credentials: { accessKeyId: "x", secretAccessKey: "y" } });
const s3 = mockClient(client);
const store = new S3ObjectStore({ client, bucket: "pep-unload" });
const keys = Array.from({ length: 2503 }, (_, i) => `unload/exp_1/${String(i).padStart(4, "0")}_part_00`);

beforeEach(() => {
  s3.reset();
  // Three pages of listing, as S3 pages at 1000 keys.
  s3.on(ListObjectsV2Command, { ContinuationToken: undefined }).resolves({ IsTruncated: true, NextContinuationToken: "t1", Contents: keys.slice(0, 1000).map((Key) => ({ Key, Size: 1 })) });
  s3.on(ListObjectsV2Command, { ContinuationToken: "t1" }).resolves({ IsTruncated: true, NextContinuationToken: "t2", Contents: keys.slice(1000, 2000).map((Key) => ({ Key, Size: 1 })) });
  s3.on(ListObjectsV2Command, { ContinuationToken: "t2" }).resolves({ IsTruncated: false, Contents: keys.slice(2000).map((Key) => ({ Key, Size: 1 })) });
});

describe("S3ObjectStore with a mocked client", () => {
  it("lists every page", async () => {
    expect((await store.list("unload/exp_1/")).map((o) => o.key)).toEqual(keys);
    expect(s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.ContinuationToken)).toEqual([undefined, "t1", "t2"]);
  });

  it("deletes a prefix in batches of at most 1000 keys and counts them", async () => {
    s3.on(DeleteObjectsCommand).resolves({});
    expect(await store.deletePrefix("unload/exp_1/")).toBe(2503);
    const batches = s3.commandCalls(DeleteObjectsCommand).map((c) => c.args[0].input.Delete!.Objects!.map((o) => o.Key));
    expect(batches.map((b) => b.length)).toEqual([1000, 1000, 503]);
    expect(batches.flat()).toEqual(keys);
  });

  it("fails when S3 could not delete some keys, naming one", async () => {
    s3.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: keys[3], Code: "AccessDenied", Message: "Access Denied" }] });
    await expect(store.deletePrefix("unload/exp_1/")).rejects.toThrow(/1 object\(s\).*0003_part_00: AccessDenied/);
  });
});
