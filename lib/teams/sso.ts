/**
 * Single sign-on through OpenID Connect: which supplier an identity belongs
 * to, and just-in-time membership. The mapping is per deployment
 * (`OIDC_SUPPLIER_DOMAINS`, `OIDC_SUPPLIER_CLAIM`): a claim naming the
 * supplier wins, else the email's domain; an identity that maps to no
 * supplier is refused with a message saying so, never let in as someone.
 */
import { recordAudit, type RequestOrigin } from "../audit/audit";
import { newId } from "../core/ids";
import type { UserRecord } from "../ports";
import type { TeamDeps } from "./members";

export interface SsoMapping {
  domains: Record<string, string>;
  supplierClaim: string | null;
  defaultMembership: "owner" | "member" | "viewer";
}

/** Why an SSO sign-in was refused; the sign-in page turns each into words (`SSO_ERRORS`). */
export type SsoRefusal = "SsoNoEmail" | "SsoUnmapped" | "SsoMismatch" | "SsoDisabled";

export const SSO_ERRORS: Record<SsoRefusal, string> = {
  SsoNoEmail: "Your identity provider did not give a verified email address, so we cannot tell who you are. Ask your IT team to release the email claim.",
  SsoUnmapped: "Your email domain is not linked to any supplier on this portal. Ask your Acme Flowers contact to add your company's domain.",
  SsoMismatch: "An account with your email already exists for another organisation. Sign in with your password, or ask your admin.",
  SsoDisabled: "Your account or your company's access to this portal has been disabled. Contact Acme Flowers.",
};

/** The supplier an identity belongs to: the claim if configured and present, else the email domain's. */
export function supplierForIdentity(mapping: SsoMapping, profile: Record<string, unknown>, email: string): string | null {
  if (mapping.supplierClaim) {
    const claimed = profile[mapping.supplierClaim];
    if (typeof claimed === "string" && /^[a-z0-9_]{1,40}$/.test(claimed)) return claimed;
  }
  const domain = email.slice(email.lastIndexOf("@") + 1).toLowerCase();
  return mapping.domains[domain] ?? null;
}

/**
 * The portal user for an SSO identity, creating it the first time (with the
 * deployment's default membership), or the reason it is refused. Every
 * outcome is audited.
 */
export async function resolveSsoUser(
  deps: TeamDeps,
  mapping: SsoMapping,
  profile: Record<string, unknown>,
  origin?: RequestOrigin,
): Promise<{ ok: true; user: UserRecord } | { ok: false; refusal: SsoRefusal }> {
  const email = typeof profile.email === "string" ? profile.email.trim().toLowerCase() : "";
  const refuse = async (refusal: SsoRefusal, supplierId: string | null = null) => {
    await recordAudit(deps, { action: "signin.failed", actor: { email: email || null, supplierId }, detail: `sso: ${refusal}`, origin });
    return { ok: false as const, refusal };
  };
  if (!email || !email.includes("@") || profile.email_verified === false) return refuse("SsoNoEmail");
  const supplierId = supplierForIdentity(mapping, profile, email);
  if (!supplierId) return refuse("SsoUnmapped");
  const supplier = await deps.suppliers.getSupplier(supplierId);
  if (supplier?.disabledAt) return refuse("SsoDisabled", supplierId);

  let user = await deps.users.getUserByEmail(email);
  if (user) {
    if (user.role !== "supplier" || user.supplierId !== supplierId) return refuse("SsoMismatch", supplierId);
    if (user.disabledAt) return refuse("SsoDisabled", supplierId);
  } else {
    const now = deps.now();
    const colleague = (await deps.users.listUsers()).find((u) => u.supplierId === supplierId);
    user = {
      id: newId("usr", now.getTime()),
      email,
      name: typeof profile.name === "string" && profile.name.trim() ? profile.name.trim().slice(0, 100) : email.split("@")[0]!,
      role: "supplier",
      supplierId,
      supplierName: supplier?.name ?? colleague?.supplierName ?? supplierId,
      // No password: this person signs in through SSO only.
      passwordHash: "",
      createdAt: now.toISOString(),
      membership: mapping.defaultMembership,
      sessionVersion: 1,
      disabledAt: null,
    };
    await deps.users.createUser(user);
    await recordAudit(deps, { action: "member.joined", actor: { userId: user.id, email, supplierId }, target: `user:${user.id}`, detail: `just in time through SSO, as ${user.membership}`, origin });
  }
  await recordAudit(deps, { action: "signin", actor: { userId: user.id, email, supplierId }, detail: "sso", origin });
  return { ok: true, user };
}
