/**
 * "Known device" cookies, so that a throttled email does not lock its owner
 * out (issue 12, finding 3). The per-email throttle exists to bound password
 * guessing spread over many client addresses; checked before the password,
 * it also let anyone lock a person out by failing on purpose from rotating
 * addresses. A browser that has signed in as an email before carries a
 * signed cookie naming that email, and is exempt from that email's lock (the
 * per-client throttle still applies to it). An attacker has no such cookie
 * for the victim's email, so guessing stays bounded; the owner's own browser
 * keeps working. (OWASP's "device cookies" scheme.) A new browser of the
 * owner is still subject to the lock: that is the price of the bound.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export const KNOWN_DEVICE_COOKIE = "pep_known_device";
/** How long a browser stays known after its last sign-in. */
export const KNOWN_DEVICE_MAX_AGE_SECONDS = 90 * 86_400;

function mac(key: string, email: string): string {
  return createHmac("sha256", key).update(`known-device:${email}`).digest("base64url");
}

/** The cookie value that marks this browser as having signed in as `email`. */
export function knownDeviceValue(key: string, email: string): string {
  return `${Buffer.from(email, "utf8").toString("base64url")}.${mac(key, email)}`;
}

/** Whether a Cookie header carries a valid known-device cookie for `email`. */
export function isKnownDevice(key: string, cookieHeader: string | undefined | null, email: string): boolean {
  if (!cookieHeader) return false;
  for (const part of cookieHeader.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name !== KNOWN_DEVICE_COOKIE) continue;
    const [encoded, sig] = rest.join("=").split(".");
    if (!encoded || !sig) continue;
    if (Buffer.from(encoded, "base64url").toString("utf8") !== email) continue;
    const expected = Buffer.from(mac(key, email));
    const given = Buffer.from(sig);
    if (expected.length === given.length && timingSafeEqual(expected, given)) return true;
  }
  return false;
}

/**
 * Adds the known-device cookie to next-auth's answer to a successful
 * credentials sign-in (the one that sets a session cookie). `email` is the
 * address the form sent; anything else is returned unchanged.
 */
export function withKnownDeviceCookie(res: Response, key: string, email: string | null, secure: boolean): Response {
  if (!email) return res;
  const setCookies = res.headers.getSetCookie();
  if (!setCookies.some((c) => /^(__Secure-)?next-auth\.session-token=[^;]+/.test(c))) return res;
  const headers = new Headers(res.headers);
  headers.append(
    "Set-Cookie",
    `${KNOWN_DEVICE_COOKIE}=${knownDeviceValue(key, email.trim().toLowerCase())}; Path=/api/auth; Max-Age=${KNOWN_DEVICE_MAX_AGE_SECONDS}; HttpOnly; SameSite=Lax${secure ? "; Secure" : ""}`,
  );
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}
