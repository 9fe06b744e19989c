/** Who is asking: resolved from the session or API token, never from the request body. */
export interface Actor {
  userId: string;
  email: string;
  role: "supplier" | "admin";
  /** The supplier a supplier user belongs to; null for admins. */
  supplierId: string | null;
}
