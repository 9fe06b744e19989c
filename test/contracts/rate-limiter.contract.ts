/**
 * Contract for `RateLimiter` (lib/ports.ts), run against SQLite and DynamoDB.
 * `instance()` gives another limiter over the same store, as another web
 * process or Lambda instance would have (its own connection or client): the
 * count must hold across them.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { RateLimiter } from "@/lib/ports";

export type MakeRateLimiters = (opts: { limit: number; windowSeconds: number }) => Promise<{ instance: () => RateLimiter; cleanup: () => Promise<void> }>;

/** 10:00:00 UTC, the start of a minute window (and of a 10-second one). */
const T0 = Date.parse("2026-03-02T10:00:00.000Z");
const at = (seconds: number) => new Date(T0 + seconds * 1000);
let n = 0;
const key = () => `tok_${++n}_${Math.random().toString(36).slice(2, 8)}`;

export function testRateLimiter(make: MakeRateLimiters): void {
  describe("RateLimiter contract", () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterEach(async () => {
      while (cleanups.length > 0) await cleanups.pop()!();
    });
    const limiters = async (limit: number, windowSeconds = 60) => {
      const made = await make({ limit, windowSeconds });
      cleanups.push(made.cleanup);
      return made.instance;
    };

    it("allows the limit in a window, counting down what is left, then refuses until the window ends", async () => {
      const limiter = (await limiters(3))();
      const k = key();
      expect(await limiter.take(k, at(1))).toEqual({ allowed: true, retryAfterSeconds: 0, remaining: 2 });
      expect(await limiter.take(k, at(2))).toEqual({ allowed: true, retryAfterSeconds: 0, remaining: 1 });
      expect(await limiter.take(k, at(3))).toEqual({ allowed: true, retryAfterSeconds: 0, remaining: 0 });
      expect(await limiter.take(k, at(15))).toEqual({ allowed: false, retryAfterSeconds: 45, remaining: 0 });
      // 0.4 s before the window ends the answer rounds up to a whole second.
      expect(await limiter.take(k, new Date(T0 + 59_600))).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
      // A new window, a new count.
      expect(await limiter.take(k, at(60))).toEqual({ allowed: true, retryAfterSeconds: 0, remaining: 2 });
    });

    it("counts each key on its own", async () => {
      const limiter = (await limiters(1))();
      const [a, b] = [key(), key()];
      expect((await limiter.take(a, at(5))).allowed).toBe(true);
      expect((await limiter.take(a, at(6))).allowed).toBe(false);
      expect((await limiter.take(b, at(7))).allowed).toBe(true);
    });

    it("holds across instances: two processes share one count", async () => {
      const instance = await limiters(5);
      const [web1, web2] = [instance(), instance()];
      const k = key();
      for (let i = 0; i < 3; i++) expect((await web1.take(k, at(10 + i))).allowed).toBe(true);
      expect(await web2.take(k, at(20))).toMatchObject({ allowed: true, remaining: 1 });
      expect(await web2.take(k, at(21))).toMatchObject({ allowed: true, remaining: 0 });
      expect((await web1.take(k, at(22))).allowed).toBe(false);
      expect((await web2.take(k, at(23))).allowed).toBe(false);
    });

    it("lets exactly the limit through when requests race on several instances", async () => {
      const instance = await limiters(7, 10);
      const fleet = [instance(), instance(), instance()];
      const k = key();
      const verdicts = await Promise.all(Array.from({ length: 24 }, (_, i) => fleet[i % fleet.length]!.take(k, at(3))));
      expect(verdicts.filter((v) => v.allowed)).toHaveLength(7);
      expect(verdicts.filter((v) => !v.allowed).every((v) => v.retryAfterSeconds === 7)).toBe(true);
    });
  });
}
