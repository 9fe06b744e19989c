import { describe, expect, it } from "vitest";
import { LoginThrottle, describeWait } from "./login-throttle";

const rule = { maxFailures: 3, windowMs: 60_000, baseLockMs: 1_000, maxLockMs: 8_000 };

describe("LoginThrottle", () => {
  it("allows attempts until the threshold, then refuses for a doubling time, capped", () => {
    const t = new LoginThrottle(rule);
    let now = 0;
    expect(t.recordFailure("k", now)).toEqual({ allowed: true });
    expect(t.recordFailure("k", now)).toEqual({ allowed: true });
    expect(t.recordFailure("k", now)).toEqual({ allowed: false, retryAfterMs: 1_000 });
    expect(t.check("k", now + 999)).toEqual({ allowed: false, retryAfterMs: 1 });
    const locks: number[] = [];
    for (let i = 0; i < 5; i++) {
      now += 10_000;
      expect(t.check("k", now).allowed).toBe(true);
      const v = t.recordFailure("k", now);
      locks.push(v.allowed ? 0 : v.retryAfterMs);
    }
    expect(locks).toEqual([2_000, 4_000, 8_000, 8_000, 8_000]);
  });

  it("starts again from zero after a quiet window, and on reset", () => {
    const t = new LoginThrottle(rule);
    t.recordFailure("k", 0);
    t.recordFailure("k", 0);
    expect(t.recordFailure("k", 60_001)).toEqual({ allowed: true }); // the first two are forgotten
    t.recordFailure("k", 60_001);
    t.reset("k");
    expect(t.recordFailure("k", 60_002)).toEqual({ allowed: true });
    expect(t.check("other", 0)).toEqual({ allowed: true });
  });

  it("remembers at most maxKeys keys, dropping the least recently failed", () => {
    const t = new LoginThrottle(rule, 3);
    for (const k of ["a", "b", "c"]) t.recordFailure(k, 0);
    t.recordFailure("a", 1); // a is now the most recent
    t.recordFailure("d", 2);
    expect(t.size).toBe(3);
    for (let i = 0; i < 2; i++) t.recordFailure("a", 3);
    expect(t.check("a", 3).allowed).toBe(false); // a kept all 4 failures
    for (let i = 0; i < 2; i++) t.recordFailure("b", 4);
    expect(t.check("b", 4).allowed).toBe(true); // b had been dropped and starts again
  });
});

describe("describeWait", () => {
  it("speaks in seconds under a minute, else in whole minutes rounded up", () => {
    expect(describeWait(1)).toBe("1 second");
    expect(describeWait(30_000)).toBe("30 seconds");
    expect(describeWait(60_000)).toBe("1 minute");
    expect(describeWait(61_000)).toBe("2 minutes");
  });
});
