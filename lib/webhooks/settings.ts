/** Tunables of webhook delivery, parsed from the environment by `lib/config.ts`. */
export interface WebhookSettings {
  /**
   * Whether endpoints may be `http://localhost` / `http://127.0.0.1` (any
   * port). A setting, on by default in local mode only; everything else must be https.
   */
  allowHttpLocalhost: boolean;
  /** One attempt gives up after this long (no redirects are followed). */
  timeoutMs: number;
  /** Delay before the second attempt; doubles each attempt, capped by the queue's 15 minutes. */
  retryBaseSeconds: number;
  /** No new attempt is scheduled once the delivery is this old. */
  maxAgeSeconds: number;
  /** Attempts in flight at once to one endpoint, across every worker (slots in the claim store). */
  maxPerEndpoint: number;
  /** Attempts in flight at once to all of one supplier's endpoints. */
  maxPerSupplier: number;
  /** The circuit opens when an endpoint's last this-many deliveries all failed their latest attempt... */
  breakerFailures: number;
  /** ...and stays open this long after the newest of those failures; then one attempt may try again. */
  breakerCooldownSeconds: number;
  /** Hex AES-256 key that seals endpoint signing secrets at rest (see secrets.ts); derived from AUTH_SECRET. */
  secretKey: string;
}
