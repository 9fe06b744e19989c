/**
 * Slows down password guessing: counts failed sign-ins per key (an email, or
 * an email and a client address) and, past a threshold, refuses further
 * attempts for a growing time. In memory, per process: enough to make
 * guessing impractical on one server; several instances each keep their own
 * count, which multiplies the allowance by the instance count and no more.
 */

export interface ThrottleRule {
  /** Failures within `windowMs` before attempts are refused. */
  maxFailures: number;
  /** A key with no failure for this long starts again from zero. */
  windowMs: number;
  /** First refusal period; each further failure doubles it, up to `maxLockMs`. */
  baseLockMs: number;
  maxLockMs: number;
}

interface Entry {
  failures: number;
  lastFailureAt: number;
  lockedUntil: number;
}

export type ThrottleVerdict = { allowed: true } | { allowed: false; retryAfterMs: number };

/** Default: 5 failures in 15 minutes lock the key for 30 s, then 1, 2, 4 ... minutes, at most 15. */
export const DEFAULT_RULE: ThrottleRule = { maxFailures: 5, windowMs: 15 * 60_000, baseLockMs: 30_000, maxLockMs: 15 * 60_000 };

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly rule: ThrottleRule = DEFAULT_RULE,
    /** Bound on remembered keys, so a flood of made-up emails cannot grow memory without limit. */
    private readonly maxKeys = 50_000,
  ) {}

  /** Whether an attempt for `key` may go ahead now. Refused attempts are not counted again. */
  check(key: string, now: number): ThrottleVerdict {
    const entry = this.current(key, now);
    if (entry && entry.lockedUntil > now) return { allowed: false, retryAfterMs: entry.lockedUntil - now };
    return { allowed: true };
  }

  /** Counts a failed attempt; returns the lock it causes, if any. */
  recordFailure(key: string, now: number): ThrottleVerdict {
    const entry = this.current(key, now) ?? { failures: 0, lastFailureAt: now, lockedUntil: 0 };
    entry.failures += 1;
    entry.lastFailureAt = now;
    const over = entry.failures - this.rule.maxFailures;
    if (over >= 0) {
      entry.lockedUntil = now + Math.min(this.rule.baseLockMs * 2 ** Math.min(over, 30), this.rule.maxLockMs);
    }
    // Re-insert so Map order stays "least recently failed first" for eviction.
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.evict();
    return entry.lockedUntil > now ? { allowed: false, retryAfterMs: entry.lockedUntil - now } : { allowed: true };
  }

  /** Forgets the key's failures (after a successful sign-in). */
  reset(key: string): void {
    this.entries.delete(key);
  }

  /** The entry if it still matters: locked, or with a failure inside the window. */
  private current(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.lockedUntil <= now && now - entry.lastFailureAt > this.rule.windowMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Map order is "least recently failed first", so the oldest, most likely stale, entries go first. */
  private evict(): void {
    for (const key of this.entries.keys()) {
      if (this.entries.size <= this.maxKeys) return;
      this.entries.delete(key);
    }
  }

  /** Number of remembered keys (for tests). */
  get size(): number {
    return this.entries.size;
  }
}

/** "30 seconds", "2 minutes": how a person reads a wait. */
export function describeWait(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  if (seconds < 60) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? "" : "s"}`;
}
