// A real OpenID Connect provider (the `oidc-provider` package) for the SSO spec: `node e2e/helpers/oidc-server.mjs <port> <redirect uri>`.
// Its built-in development login takes any login and password; the login is the account id and its email.
// Logins ending in @claims.example also carry a `supplier` claim (sup_tulip), to test claim-based mapping. Test use only.
import Provider from "oidc-provider";

const [port, redirectUri] = process.argv.slice(2);
const provider = new Provider(`http://localhost:${port}`, {
  clients: [
    {
      client_id: "portal-e2e",
      client_secret: "portal-e2e-secret-not-for-production",
      redirect_uris: [redirectUri],
      grant_types: ["authorization_code"],
      response_types: ["code"],
    },
  ],
  // The supplier claim rides on the profile scope, which the portal asks for.
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name", "supplier"] },
  async findAccount(_ctx, sub) {
    return {
      accountId: sub,
      async claims() {
        return { sub, email: sub, email_verified: true, name: sub.split("@")[0], ...(sub.endsWith("@claims.example") ? { supplier: "sup_tulip" } : {}) };
      },
    };
  },
  // The consent screen is not what is under test: grant what the portal asks for.
  async loadExistingGrant(ctx) {
    const existing = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (existing) return ctx.oidc.provider.Grant.find(existing);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope("openid email profile");
    grant.addOIDCClaims(["email", "email_verified", "name", "supplier"]);
    await grant.save();
    return grant;
  },
  cookies: { keys: ["e2e-only-cookie-signing-key"] },
  // Put the requested claims (email, name, supplier) in the ID token too, as Okta, Entra ID and Google do for these scopes:
  // next-auth reads the profile from the ID token.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
});
provider.listen(Number(port), "127.0.0.1", () => console.log(`oidc-ready ${port}`));
