/** Who is asking: resolved from the session or API token, never from the request body. */
export interface Actor {
  userId: string;
  email: string;
  role: "supplier" | "admin";
  /** The supplier a supplier user belongs to; null for admins. */
  supplierId: string | null;
  /**
   * A supplier user's role within the supplier (owner, member, viewer); absent
   * for admins. Checked by the route wrapper (lib/api/access.ts); a supplier
   * actor without one is treated as a viewer, the least it can be.
   */
  membership?: "owner" | "member" | "viewer";
  /** Set when the caller is an API token: what it may do (lib/api/access.ts). A session has no scopes: its membership decides. */
  scopes?: readonly string[];
  /** The API token's id when the caller is one (for the audit log). */
  tokenId?: string;
}
