/**
 * The security headers of every response (issue 12, finding 11), built in one
 * place for `proxy.ts` and its tests.
 *
 * - CSP: scripts only from this origin and with the request's nonce
 *   (`'strict-dynamic'` lets Next's nonced bootstrap load its chunks); no
 *   inline script otherwise. Next reads the nonce from the request's CSP header
 *   and puts it on the scripts it renders, which is why every page renders
 *   dynamically (app/layout.tsx). Styles allow inline: React `style` props and
 *   Next's style tags are inline, and a style cannot run code.
 * - `frame-ancestors 'none'` (and X-Frame-Options for old browsers): revoke,
 *   delete and cancel buttons cannot be framed (clickjacking).
 * - HSTS only where the request came over HTTPS: on plain-HTTP localhost a
 *   cached HSTS would break every other local port's service.
 */

export interface SecurityHeaderOptions {
  nonce: string;
  /** The request came over HTTPS (directly or per X-Forwarded-Proto). */
  https: boolean;
  /** Next's dev server needs eval for React's error overlay. */
  dev: boolean;
}

export function contentSecurityPolicy({ nonce, https, dev }: SecurityHeaderOptions): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' blob: data:",
    "font-src 'self'",
    `connect-src 'self'${dev ? " ws:" : ""}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    ...(https ? ["upgrade-insecure-requests"] : []),
  ].join("; ");
}

export function securityHeaders(opts: SecurityHeaderOptions): Record<string, string> {
  return {
    "Content-Security-Policy": contentSecurityPolicy(opts),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    ...(opts.https ? { "Strict-Transport-Security": "max-age=63072000; includeSubDomains" } : {}),
  };
}

/** A fresh, unguessable nonce (128 bits, base64). */
export function newNonce(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes));
}

/** Whether the request came over HTTPS: its own URL, or the nearest proxy's X-Forwarded-Proto. */
export function isHttps(url: string, forwardedProto: string | null): boolean {
  const proto = forwardedProto?.split(",")[0]?.trim().toLowerCase();
  return proto ? proto === "https" : url.startsWith("https:");
}

/** Request header (set by proxy.ts, overwriting any a client sent) with the path and query of the page asked for. */
export const PORTAL_PATH_HEADER = "x-portal-path";
