/**
 * Password hashing with scrypt (node:crypto, no native add-on). A hash is one
 * self-describing string, `scrypt$N$r$p$salt$hash` (salt and hash base64url),
 * so the cost can be raised later without invalidating stored hashes.
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from "node:crypto";

/** Cost of new hashes: N=2^15, r=8 needs 32 MiB and takes ~50-100 ms, the usual interactive-login budget. */
const DEFAULT_PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/**
 * Stored hashes are trusted data, but a corrupted or hostile row must not be
 * able to make one login allocate gigabytes: parameters beyond these bounds
 * are refused rather than computed.
 */
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;
/** Longer inputs are refused: nobody types them, and hashing megabytes per attempt is a cheap DoS. */
export const MAX_PASSWORD_LENGTH = 1024;

function scrypt(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** scrypt needs 128·N·r bytes; Node refuses above `maxmem` (default 32 MiB), so give it exactly what the parameters need. */
function options(N: number, r: number, p: number): ScryptOptions {
  return { N, r, p, maxmem: 128 * N * r + 1024 * 1024 };
}

/**
 * The same text typed on different keyboards can arrive as different code
 * points (é as one or two); NFC makes them hash alike.
 */
function normalize(password: string): string {
  return password.normalize("NFC");
}

/** Hashes a password for storage. Async: scrypt runs on the libuv thread pool, not the event loop. */
export async function hashPassword(password: string): Promise<string> {
  if (password.length === 0) throw new RangeError("password must not be empty");
  if (password.length > MAX_PASSWORD_LENGTH) throw new RangeError(`password must be at most ${MAX_PASSWORD_LENGTH} characters`);
  const { N, r, p } = DEFAULT_PARAMS;
  const salt = randomBytes(SALT_BYTES);
  const key = await scrypt(normalize(password), salt, KEY_BYTES, options(N, r, p));
  return ["scrypt", N, r, p, salt.toString("base64url"), key.toString("base64url")].join("$");
}

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function parseHash(stored: string): ParsedHash | null {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return null;
  const [N, r, p] = parts.slice(1, 4).map((s) => (/^\d{1,8}$/.test(s) ? Number(s) : NaN));
  if (!Number.isInteger(N) || N < 2 || N > MAX_N || (N & (N - 1)) !== 0) return null;
  if (!Number.isInteger(r) || r < 1 || r > MAX_R) return null;
  if (!Number.isInteger(p) || p < 1 || p > MAX_P) return null;
  if (!/^[A-Za-z0-9_-]+$/.test(parts[4]) || !/^[A-Za-z0-9_-]+$/.test(parts[5])) return null;
  const salt = Buffer.from(parts[4], "base64url");
  const key = Buffer.from(parts[5], "base64url");
  if (salt.length < 8 || key.length < 16 || key.length > 128) return null;
  return { N, r, p, salt, key };
}

/**
 * True when `password` matches `stored`. The comparison is constant-time; a
 * malformed hash, an empty or oversized password simply do not match (no
 * throw), so callers have a single failure path.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed || password.length === 0 || password.length > MAX_PASSWORD_LENGTH) return false;
  const key = await scrypt(normalize(password), parsed.salt, parsed.key.length, options(parsed.N, parsed.r, parsed.p));
  return timingSafeEqual(key, parsed.key);
}

/** True when `stored` was made with weaker parameters than new hashes use (or is unreadable), so it should be replaced on the next successful sign-in. */
export function needsRehash(stored: string): boolean {
  const parsed = parseHash(stored);
  if (!parsed) return true;
  return parsed.N < DEFAULT_PARAMS.N || parsed.r < DEFAULT_PARAMS.r || parsed.p < DEFAULT_PARAMS.p || parsed.key.length < KEY_BYTES;
}
