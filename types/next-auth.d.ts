/**
 * What this app puts in the next-auth session and JWT (see lib/auth.ts).
 * The session is all a page needs to know who is signed in; the JWT fields
 * are optional because a cookie from an older build may lack them, and
 * lib/auth.ts checks them before trusting the token.
 */
import type { Membership, UserRole } from "@/lib/ports";

declare module "next-auth" {
  interface Session {
    user: {
      id: string;
      email: string;
      name: string;
      role: UserRole;
      /** The supplier a supplier user belongs to; null for admins. */
      supplierId: string | null;
      supplierName: string | null;
      /** Role within the supplier; null for admins. */
      membership: Membership | null;
    };
  }

  /** What the Credentials provider's `authorize` returns. */
  interface User {
    email: string;
    name: string;
    role: UserRole;
    supplierId: string | null;
    supplierName: string | null;
    membership: Membership | null;
    sessionVersion: number;
  }
}

declare module "next-auth/jwt" {
  interface JWT {
    id?: string;
    role?: UserRole;
    supplierId?: string | null;
    supplierName?: string | null;
    /** When the person signed in (seconds since epoch): sessions end a fixed time after it, whatever the activity. */
    authTime?: number;
    membership?: Membership | null;
    /** The user's session version at sign-in: a bump (sign-out, password change, disable) ends this session. */
    sv?: number;
  }
}
