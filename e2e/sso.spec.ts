/**
 * SSO in the browser against a real OpenID Connect provider (`oidc-provider`)
 * that this spec starts on E2E_OIDC_PORT (the stack is configured for it in
 * stack-env.ts): a rose.example person signs in and gets a just-in-time
 * member account of Rose Supply Co; a `supplier` claim maps someone of another
 * domain to Tulip; a domain that maps to no supplier is refused with a clear
 * message and gets no account.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { expect, test, type Browser } from "@playwright/test";
import { E2E_BASE_URL, E2E_OIDC_PORT, REPO_ROOT } from "./stack-env";
import { shot } from "./helpers/portal";

test.describe.configure({ mode: "serial" });

let idp: ChildProcess;

test.beforeAll(async () => {
  idp = spawn(process.execPath, [path.join(REPO_ROOT, "e2e/helpers/oidc-server.mjs"), String(E2E_OIDC_PORT), `${E2E_BASE_URL}/api/auth/callback/oidc`], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the OIDC provider did not start")), 15_000);
    idp.stdout!.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("oidc-ready")) {
        clearTimeout(timer);
        resolve();
      }
    });
    idp.on("exit", (code) => reject(new Error(`the OIDC provider exited (${code})`)));
  });
});

test.afterAll(() => {
  idp?.kill("SIGTERM");
});

/** Clicks "Sign in with …" and logs in at the provider's own login page. */
async function ssoSignIn(browser: Browser, login: string) {
  const page = await (await browser.newContext()).newPage();
  await page.goto("/signin");
  await page.locator("[data-hydrated]").first().waitFor();
  await page.getByRole("button", { name: "Sign in with Acme SSO (test)" }).click();
  await expect(page).toHaveURL(new RegExp(`^http://localhost:${E2E_OIDC_PORT}/`));
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill("any-password");
  await page.getByRole("button", { name: "Sign-in" }).click();
  return page;
}

test("a rose.example person signs in through SSO and becomes a member of Rose Supply Co just in time", async ({ browser }) => {
  const page = await ssoSignIn(browser, "sam@rose.example");
  await expect(page).toHaveURL(/\/exports\/new$/);
  await expect(page.getByTestId("signed-in-user")).toContainText("sam@rose.example");
  await expect(page.getByTestId("signed-in-user")).toContainText("Rose Supply Co · member");
  await shot(page, "sso-signed-in");
  // A member may request exports (the server checks the membership the SSO account got).
  const res = await page.request.post("/api/v1/exports", { data: { dataset: "product_inventory", params: {}, format: "csv", notify: false } });
  expect(res.status()).toBe(202);
});

test("a supplier claim maps an identity of any domain to that supplier", async ({ browser }) => {
  const page = await ssoSignIn(browser, "terry@claims.example");
  await expect(page).toHaveURL(/\/exports\/new$/);
  await expect(page.getByTestId("signed-in-user")).toContainText("Tulip Traders · member");
});

test("an identity whose domain maps to no supplier is refused with a clear message", async ({ browser }) => {
  const page = await ssoSignIn(browser, "mallory@unknown.example");
  await expect(page).toHaveURL(/\/signin\?error=SsoUnmapped/);
  await expect(page.getByTestId("signin-error")).toHaveText(
    "Your email domain is not linked to any supplier on this portal. Ask your Acme Flowers contact to add your company's domain.",
  );
  await shot(page, "sso-unmapped");
  await page.goto("/exports/new");
  await expect(page).toHaveURL(/\/signin/);
});
