/** Where the e2e stack lives; shared by playwright.config.ts, e2e/start-stack.ts and the specs. */
import path from "node:path";

export const REPO_ROOT = path.resolve(__dirname, "..");

export const E2E_PORT = Number(process.env.E2E_PORT ?? 3100);
export const E2E_BASE_URL = `http://localhost:${E2E_PORT}`;
/** A throw-away data folder, wiped at every start: SQLite jobs, queue, stores, outbox, warehouse. */
/** Where the SSO spec starts its OpenID Connect provider (e2e/helpers/oidc-server.mjs); the portal is configured for it. */
export const E2E_OIDC_PORT = E2E_PORT + 10;
export const E2E_DATA_DIR = path.resolve(process.env.E2E_DATA_DIR ?? path.join(__dirname, "..", ".data", "e2e"));

/** The environment of every process of the stack (and of the specs' direct look-ups). */
export function stackEnv(): Record<string, string> {
  return {
    EXPORT_BACKEND: "local",
    DATA_DIR: E2E_DATA_DIR,
    DUCKDB_PATH: path.join(E2E_DATA_DIR, "warehouse.duckdb"),
    PUBLIC_URL: E2E_BASE_URL,
    POLL_DELAY_SECONDS: "1",
    INLINE_WAIT_MS: "2000",
    RETRY_BASE_SECONDS: "1",
    // The scheduler ticks every second here (30 s by default), so "Run now" starts within a second.
    SCHEDULE_TICK_SECONDS: "1",
    DESTINATION_RETRY_BASE_SECONDS: "1",
    // Past the 10 minutes after which a queued export is "waiting too long" (5 min by default): the tour's
    // screenshot of such an export (e2e/helpers/backend.ts, makeExportIn "stuck") is not requeued under it.
    REQUEUE_AFTER_SECONDS: "900",
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? "warn",
    // SSO against the provider the SSO spec starts: rose.example people belong to Rose; a `supplier` claim wins.
    OIDC_ISSUER: `http://localhost:${E2E_OIDC_PORT}`,
    OIDC_CLIENT_ID: "portal-e2e",
    OIDC_CLIENT_SECRET: "portal-e2e-secret-not-for-production",
    OIDC_NAME: "Acme SSO (test)",
    OIDC_SUPPLIER_DOMAINS: "rose.example=sup_rose",
    OIDC_SUPPLIER_CLAIM: "supplier",
    OIDC_DEFAULT_MEMBERSHIP: "member",
  };
}
