/**
 * Webhook signing secrets at rest. Unlike API tokens they cannot be hashed
 * (every delivery is signed with the secret itself), so they are sealed with
 * AES-256-GCM under a key derived from AUTH_SECRET: a copy of the table alone
 * does not let anyone forge deliveries. Rotating AUTH_SECRET therefore means
 * re-registering webhook endpoints.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const PREFIX = "enc:v1:";

export function sealSecret(keyHex: string, plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", Buffer.from(keyHex, "hex"), iv);
  const ct = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  return `${PREFIX}${iv.toString("base64url")}.${cipher.getAuthTag().toString("base64url")}.${ct.toString("base64url")}`;
}

/** The plain secret; throws when the sealed value was tampered with or sealed under another key. */
export function openSecret(keyHex: string, stored: string): string {
  if (!stored.startsWith(PREFIX)) throw new Error("webhook secret is not sealed");
  const [iv, tag, ct] = stored.slice(PREFIX.length).split(".");
  if (!iv || !tag || ct === undefined) throw new Error("webhook secret is malformed");
  const decipher = createDecipheriv("aes-256-gcm", Buffer.from(keyHex, "hex"), Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(ct, "base64url")), decipher.final()]).toString("utf8");
}
