/**
 * Concurrency slots shared by every worker instance, for the delivery lane's
 * caps (per webhook endpoint, per supplier). A cap of N is N claim keys
 * `<name>#0..N-1` in the claim store (SQLite / DynamoDB); holding a slot is
 * holding one of them, with an expiry, so a worker that dies mid-attempt
 * frees its slot after `ttlSeconds` without anyone cleaning up. The claim
 * store's conditional insert makes two workers never hold one slot.
 */
import type { RequestClaimStore } from "../ports";

export interface SlotRequest {
  /** What is capped, e.g. `webhook-endpoint:whe_123`. */
  name: string;
  limit: number;
}

export interface HeldSlots {
  release(): Promise<void>;
}

/**
 * Takes one slot of each request for `holder`, or none: when any cap is full,
 * the slots already taken are given back and null is returned. A holder
 * that already holds a slot (a redelivered message) keeps it.
 */
export async function acquireSlots(claims: RequestClaimStore, requests: SlotRequest[], holder: string, ttlSeconds: number, now: Date): Promise<HeldSlots | null> {
  const at = now.toISOString();
  const expiresAt = new Date(now.getTime() + ttlSeconds * 1000).toISOString();
  const held: string[] = [];
  const release = async () => {
    await Promise.all(held.map((key) => claims.release(key, holder).catch(() => undefined)));
  };
  for (const { name, limit } of requests) {
    let got: string | null = null;
    // Start at a random slot so concurrent workers do not all queue up on slot 0.
    const start = Math.floor(Math.random() * limit);
    for (let i = 0; i < limit && !got; i++) {
      const key = `slot:${name}#${(start + i) % limit}`;
      const holderNow = await claims.claim({ key, exportId: holder, requestHash: "slot", createdAt: at, expiresAt }, at);
      if (holderNow === null || holderNow.exportId === holder) got = key;
    }
    if (!got) {
      await release();
      return null;
    }
    held.push(got);
  }
  return { release };
}
