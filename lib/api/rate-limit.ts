/**
 * The API's request rate limit: a token bucket per caller key (a token id, or
 * a supplier for session callers), refilled continuously at `perMinute`, with
 * a burst of `perMinute`.
 *
 * It lives in the memory of each web process (or Lambda instance): simple and
 * free of a store round-trip per request, at the price that N instances allow
 * up to N times the rate. That is a deliberate trade: this limit protects the
 * app from a runaway client; the limit that protects the warehouse (exports
 * active per supplier) counts from the job store and holds across instances.
 */
export interface RateLimitVerdict {
  allowed: boolean;
  /** Whole seconds until one more request would be allowed (0 when allowed). */
  retryAfterSeconds: number;
  remaining: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly capacity: number;
  private readonly perMs: number;

  constructor(opts: { perMinute: number }) {
    this.capacity = opts.perMinute;
    this.perMs = opts.perMinute / 60_000;
  }

  /** Takes one request from `key`'s bucket if it has one. */
  take(key: string, now: number = Date.now()): RateLimitVerdict {
    const b = this.buckets.get(key) ?? { tokens: this.capacity, at: now };
    b.tokens = Math.min(this.capacity, b.tokens + (now - b.at) * this.perMs);
    b.at = now;
    this.buckets.set(key, b);
    if (this.buckets.size > 10_000) this.prune(now);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { allowed: true, retryAfterSeconds: 0, remaining: Math.floor(b.tokens) };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / this.perMs / 1000)), remaining: 0 };
  }

  /** Forgets full buckets (they behave exactly like absent ones). */
  private prune(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + (now - b.at) * this.perMs >= this.capacity) this.buckets.delete(key);
    }
  }
}
