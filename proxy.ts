// Every request: a fresh CSP nonce and the security headers (issue 12, finding 11; lib/http/security-headers.ts).
import { NextResponse, type NextRequest } from "next/server";
import { isHttps, newNonce, PORTAL_PATH_HEADER, securityHeaders } from "@/lib/http/security-headers";

export function proxy(request: NextRequest): NextResponse {
  const nonce = newNonce();
  const headers = securityHeaders({
    nonce,
    https: isHttps(request.url, request.headers.get("x-forwarded-proto")),
    dev: process.env.NODE_ENV === "development",
  });
  // Next reads the nonce from the request's CSP header and puts it on the scripts it renders.
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set("x-nonce", nonce);
  // The portal layout redirects signed-out visitors back here after sign-in; set here, never taken from the client.
  requestHeaders.set(PORTAL_PATH_HEADER, request.nextUrl.pathname + request.nextUrl.search);
  requestHeaders.set("Content-Security-Policy", headers["Content-Security-Policy"]!);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
  return response;
}

export const config = {
  // Everything but Next's immutable build assets (they get nosniff from next.config.ts headers()).
  matcher: ["/((?!_next/static|_next/image).*)"],
};
