// GET|POST /api/auth/* – next-auth: sign-in, sign-out, session, CSRF token
import NextAuth from "next-auth";
import type { NextRequest } from "next/server";
import { getAuthOptions, knownDeviceKey } from "@/lib/auth";
import { getDeps } from "@/lib/config";
import { withKnownDeviceCookie } from "@/lib/users/known-device";

// Options are built per request, not at import: `next build` imports this module and must not open the database.
async function handler(req: NextRequest, ctx: { params: Promise<{ nextauth: string[] }> }): Promise<Response> {
  // A successful credentials sign-in also marks this browser as known for that email (issue 12, finding 3).
  const signingIn = req.method === "POST" && req.nextUrl.pathname.endsWith("/callback/credentials");
  const email = signingIn ? await req.clone().formData().then((f) => f.get("email"), () => null) : null;
  const res = (await NextAuth(req, ctx, await getAuthOptions(req))) as Response;
  if (!signingIn) return res;
  const { config } = await getDeps();
  return withKnownDeviceCookie(res, knownDeviceKey(config.authSecret), typeof email === "string" ? email : null, config.settings.publicUrl.startsWith("https://"));
}

export { handler as GET, handler as POST };
