/**
 * Where the sign-in page may send a person afterwards: a path on this site
 * and nothing else. Kept apart from `session.ts` (no next-auth, no config) so
 * it is a pure function with its own unit test.
 */

/** Origin used only to resolve a path the way a browser would; never sent anywhere. */
const PROBE_ORIGIN = "https://portal.invalid";

/**
 * A sign-in callbackUrl made safe to redirect to: only a path on this site.
 * next-auth sometimes hands over an absolute URL of the portal; its path is kept.
 *
 * Browsers strip tab, CR and LF from URLs and read `\` as `/`, so `/\tevil.test`
 * and `/\n/evil.test` become `//evil.test`, another host (issue 12, finding 1);
 * a raw newline in a Location header is also a 500. Any control character,
 * space or backslash is therefore refused outright, and what is left must
 * still resolve, as a browser resolves it, to this site.
 */
export function safeCallbackUrl(raw: string | string[] | undefined, fallback = "/exports/new"): string {
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (!value || value.length > 2048) return fallback;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f-\u009f\\]/.test(value)) return fallback;
  let path = value;
  if (/^https?:\/\//i.test(value)) {
    try {
      const u = new URL(value);
      path = u.pathname + u.search + u.hash;
    } catch {
      return fallback;
    }
  }
  if (!path.startsWith("/") || path.startsWith("//")) return fallback;
  let resolved: URL;
  try {
    resolved = new URL(path, PROBE_ORIGIN);
  } catch {
    return fallback;
  }
  if (resolved.origin !== PROBE_ORIGIN) return fallback;
  const safe = resolved.pathname + resolved.search + resolved.hash;
  if (safe.startsWith("//") || safe.startsWith("/signin") || safe.startsWith("/api/")) return fallback;
  return safe;
}
