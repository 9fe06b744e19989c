// GET|POST /api/auth/* – next-auth: sign-in, sign-out, session, CSRF token
import NextAuth from "next-auth";
import type { NextRequest } from "next/server";
import { getAuthOptions } from "@/lib/auth";

// Options are built per request, not at import: `next build` imports this module and must not open the database.
async function handler(req: NextRequest, ctx: { params: Promise<{ nextauth: string[] }> }): Promise<Response> {
  return NextAuth(req, ctx, await getAuthOptions()) as Promise<Response>;
}

export { handler as GET, handler as POST };
