/**
 * Rules every ObjectStore adapter shares, so that a key or a download name
 * that works on one backend works on the other.
 */
import { InvalidKeyError } from "./core/errors";

/** S3's limit, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/** Throws InvalidKeyError unless `key` is a plain relative key ("a/b.zip"): no "..", no leading "/", no backslash, no empty segment. */
export function checkObjectKey(key: string): string[] {
  if (typeof key !== "string" || key === "") throw new InvalidKeyError(String(key), "empty");
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new InvalidKeyError(key, `longer than ${MAX_KEY_BYTES} bytes`);
  if (key.includes("\0")) throw new InvalidKeyError(key, "contains NUL");
  if (key.includes("\\")) throw new InvalidKeyError(key, "contains a backslash");
  if (key.startsWith("/")) throw new InvalidKeyError(key, "starts with /");
  const segments = key.split("/");
  for (const s of segments) {
    if (s === "") throw new InvalidKeyError(key, "has an empty segment");
    if (s === "." || s === "..") throw new InvalidKeyError(key, `has a "${s}" segment`);
  }
  return segments;
}

/** A list prefix may end mid-segment ("exports/ab") or with "/", but its complete segments follow the key rules. */
export function checkObjectKeyPrefix(prefix: string): void {
  if (prefix === "") return;
  if (prefix.includes("\0") || prefix.includes("\\") || prefix.startsWith("/")) throw new InvalidKeyError(prefix, "not a valid key prefix");
  const complete = prefix.split("/").slice(0, -1);
  if (complete.some((s) => s === "" || s === "." || s === "..")) throw new InvalidKeyError(prefix, "not a valid key prefix");
}

/**
 * `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>`
 * (RFC 6266 / 8187): browsers that read `filename*` get the exact name, older
 * clients a readable ASCII one. Control characters are dropped, and quotes,
 * backslashes and "%" never reach the quoted form, so a crafted name cannot
 * break out of the header or inject another.
 */
export function contentDisposition(filename: string): string {
  const clean = filename.replace(/[\x00-\x1f\x7f]/g, "");
  // One "_" per character (code point), accents dropped where a base letter remains ("é" -> "e").
  const fallback = clean.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").replace(/[^\x20-\x7e]|["\\%]/gu, "_") || "download";
  const encoded = encodeURIComponent(clean).replace(/['()*!]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
