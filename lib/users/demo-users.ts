/**
 * The demo accounts of local mode. The seed (and `npm run users -- demo`)
 * creates them; the sign-in page lists them in local mode so a person trying
 * the portal knows what to type.
 */
import type { UserRecord, UserStore } from "../ports";
import { createUser } from "./users";

/** The one password of every demo account. Local mode only: never seed these in AWS. */
export const DEMO_PASSWORD = "demo-password";

/** A demo account as the sign-in page shows it (no hash, no id). */
export type DemoUser = Pick<UserRecord, "email" | "name" | "role" | "supplierId" | "supplierName">;

export const DEMO_USERS: readonly DemoUser[] = [
  { email: "rose@suppliers.test", name: "Rose", role: "supplier", supplierId: "sup_rose", supplierName: "Rose Supply Co" },
  { email: "tulip@suppliers.test", name: "Tulip", role: "supplier", supplierId: "sup_tulip", supplierName: "Tulip Traders" },
  { email: "admin@acmeflowers.test", name: "Acme Admin", role: "admin", supplierId: null, supplierName: null },
];

/**
 * Creates each demo account that does not exist yet (by email) and returns the
 * emails it created. Existing accounts are left as they are, passwords
 * included, so running the seed twice changes nothing.
 */
export async function ensureDemoUsers(users: UserStore): Promise<string[]> {
  const created: string[] = [];
  for (const demo of DEMO_USERS) {
    if (await users.getUserByEmail(demo.email)) continue;
    try {
      await createUser(users, { ...demo, password: DEMO_PASSWORD });
      created.push(demo.email);
    } catch (err) {
      // Another process (web and worker both seeding) created it between our check and our write: fine.
      if (!(await users.getUserByEmail(demo.email))) throw err;
    }
  }
  return created;
}
