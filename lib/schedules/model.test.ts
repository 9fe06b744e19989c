import { describe, expect, it } from "vitest";
import { checkCadence, cronPattern, nextRunAfter, ZDestinationInput, ZScheduleInput } from "./model";

/** The next `n` slots after `from`. */
function slots(cadence: Parameters<typeof nextRunAfter>[0], tz: string, from: string, n: number): string[] {
  const out: string[] = [];
  let t = new Date(from);
  for (let i = 0; i < n; i++) {
    const next = nextRunAfter(cadence, tz, t)!;
    out.push(next);
    t = new Date(next);
  }
  return out;
}

describe("nextRunAfter", () => {
  it("keeps 06:00 local across both DST changes (Amsterdam: +1 in winter, +2 in summer)", () => {
    expect(slots({ kind: "daily", time: "06:00" }, "Europe/Amsterdam", "2026-03-28T00:00:00Z", 2)).toEqual(["2026-03-28T05:00:00.000Z", "2026-03-29T04:00:00.000Z"]);
    expect(slots({ kind: "daily", time: "06:00" }, "Europe/Amsterdam", "2026-10-24T00:00:00Z", 2)).toEqual(["2026-10-24T04:00:00.000Z", "2026-10-25T05:00:00.000Z"]);
  });

  it("runs a time that does not exist on the spring-forward day at the next valid minute, and a repeated autumn time once", () => {
    // 02:30 does not exist on 29 March in Amsterdam (02:00 -> 03:00): it runs at 03:00 CEST.
    expect(slots({ kind: "daily", time: "02:30" }, "Europe/Amsterdam", "2026-03-28T12:00:00Z", 2)).toEqual(["2026-03-29T01:00:00.000Z", "2026-03-30T00:30:00.000Z"]);
    // 02:30 happens twice on 25 October: one run, at the first.
    expect(slots({ kind: "daily", time: "02:30" }, "Europe/Amsterdam", "2026-10-24T12:00:00Z", 2)).toEqual(["2026-10-25T00:30:00.000Z", "2026-10-26T01:30:00.000Z"]);
  });

  it("handles weekly, monthly and cron cadences in the given zone", () => {
    expect(cronPattern({ kind: "weekly", time: "07:15", weekday: 1 })).toBe("15 7 * * 1");
    expect(slots({ kind: "weekly", time: "07:15", weekday: 1 }, "America/New_York", "2026-03-01T00:00:00Z", 2)).toEqual(["2026-03-02T12:15:00.000Z", "2026-03-09T11:15:00.000Z"]);
    expect(slots({ kind: "monthly", time: "00:00", dayOfMonth: 1 }, "UTC", "2026-01-15T00:00:00Z", 2)).toEqual(["2026-02-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z"]);
    expect(slots({ kind: "cron", expression: "*/30 9-10 * * 1-5" }, "Asia/Tokyo", "2026-03-06T00:00:00Z", 3)).toEqual([
      "2026-03-06T00:30:00.000Z",
      "2026-03-06T01:00:00.000Z",
      "2026-03-06T01:30:00.000Z",
    ]);
  });

  it("refuses broken cron expressions and unknown zones with a message", () => {
    expect(checkCadence({ kind: "cron", expression: "61 * * * * *" }, "UTC")).toMatch(/.+/);
    expect(checkCadence({ kind: "cron", expression: "0 6 * * *" }, "UTC")).toBeNull();
    const bad = ZScheduleInput.safeParse({ name: "x", request: { dataset: "product_inventory" }, cadence: { kind: "daily", time: "6am" }, timezone: "Mars/Olympus" });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => i.path.join("."))).toEqual(expect.arrayContaining(["cadence.time", "timezone"]));
  });
});

describe("destination input", () => {
  it("needs exactly one of password and private key for SFTP, and a real bucket name for S3", () => {
    const sftp = { kind: "sftp", name: "ERP", host: "sftp.example.com", username: "rose" };
    expect(ZDestinationInput.safeParse(sftp).success).toBe(false);
    expect(ZDestinationInput.safeParse({ ...sftp, password: "p", privateKey: "k" }).success).toBe(false);
    expect(ZDestinationInput.safeParse({ ...sftp, password: "p" }).success).toBe(true);
    expect(ZDestinationInput.safeParse({ kind: "s3", name: "Lake", bucket: "Bad_Bucket", region: "eu-west-1" }).success).toBe(false);
    expect(ZDestinationInput.safeParse({ kind: "s3", name: "Lake", bucket: "rose-lake", prefix: "exports/", region: "eu-west-1" }).success).toBe(true);
    expect(ZDestinationInput.safeParse({ kind: "s3", name: "Lake", bucket: "rose-lake", prefix: "../", region: "eu-west-1" }).success).toBe(false);
  });
});
