import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"; // Crockford base32, lower case

/**
 * A time-ordered id (`exp_` + 10 chars of milliseconds + 12 random chars):
 * ids created later sort later, which keeps list ordering stable when two
 * exports share a createdAt millisecond.
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
