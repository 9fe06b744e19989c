/**
 * Where the portal's keys come from: sub-keys derived from the one secret
 * (`AUTH_SECRET` locally, `sst.Secret("AuthSecret")` on AWS), and the secret
 * a fresh local clone generates for itself. Used by lib/config.ts.
 */
import { hkdfSync, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/** A sub-key for one purpose, so one leaked key does not open the others. */
export function deriveKey(secret: string, purpose: string): string {
  return Buffer.from(hkdfSync("sha256", secret, "partner-export-portal", purpose, 32)).toString("hex");
}

/**
 * Local mode needs a secret but a fresh clone has none: make one, keep it in
 * the data folder (so the web and worker processes and restarts agree), and say so.
 */
export function localSecret(dataDir: string): string {
  const file = path.join(dataDir, "auth-secret");
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    fs.mkdirSync(dataDir, { recursive: true });
    const secret = randomBytes(32).toString("base64url");
    try {
      fs.writeFileSync(file, secret, { flag: "wx", mode: 0o600 });
      console.warn(`[config] AUTH_SECRET is not set: generated a local one in ${file} (local mode only).`);
      return secret;
    } catch {
      return fs.readFileSync(file, "utf8").trim(); // another process won the race
    }
  }
}
