import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"; // Crockford base32, lower case

/**
 * A time-ordered id (`<prefix>_` + 10 chars of milliseconds + 12 random chars):
 * ids of different milliseconds sort by creation time; within one millisecond
 * the random tail orders them arbitrarily (but stably, so lists that sort by
 * createdAt then id never reorder between pages).
 */
export function newId(prefix: string, now = Date.now()): string {
  let time = "";
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const rnd = randomBytes(12);
  let tail = "";
  for (const b of rnd) tail += ALPHABET[b % 32];
  return `${prefix}_${time}${tail}`;
}

export const ZExportIdPattern = /^exp_[0-9a-z]{22}$/;
