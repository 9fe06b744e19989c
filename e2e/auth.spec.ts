// Signing in and out, where a signed-out visitor is sent, and who may open admin pages.
import { expect, test } from "@playwright/test";
import { ADMIN, expectNoHorizontalScroll, ROSE, shot, signedInPage, signIn, TULIP } from "./helpers/portal";

test("a signed-out visitor signs in from a demo account and comes back to the page they asked for", async ({ page, browser }) => {
  await page.goto("/exports?status=ready");
  await expect(page).toHaveURL(/\/signin\?callbackUrl=%2Fexports%3Fstatus%3Dready$/);
  await expect(page.getByRole("heading", { name: "Partner Export Portal" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Demo accounts" })).toBeVisible();
  await shot(page, "signin");

  // A wrong password is refused in plain words.
  await page.getByLabel("Email").fill(ROSE);
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByTestId("signin-error")).toHaveText("Wrong email or password.");
  await expect(page.getByRole("alert").filter({ hasText: "Wrong email or password." })).toBeVisible();
  await shot(page, "signin-wrong-password");

  // A demo account fills the form.
  await page.getByRole("button", { name: new RegExp(`Use demo account ${ROSE}`) }).click();
  await expect(page.getByLabel("Email")).toHaveValue(ROSE);
  await expect(page.getByLabel("Password")).not.toHaveValue("not-the-password");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();

  await expect(page).toHaveURL(/\/exports\?status=ready$/);
  const user = page.getByTestId("signed-in-user");
  await expect(user).toContainText(ROSE);
  await expect(user).toContainText("Rose Supply Co");
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "History" })).toHaveAttribute("aria-current", "page");
  await expect(nav.getByRole("link", { name: "New export" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Dev mail" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Admin" })).toHaveCount(0);

  // Signed in, the sign-in page forwards to the portal.
  await page.goto("/signin");
  await expect(page).toHaveURL(/\/exports\/new$/);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/signin/);
  await page.goto("/exports/new");
  await expect(page).toHaveURL(/\/signin\?callbackUrl=%2Fexports%2Fnew$/);

  // The audit log has the sign-out with this browser's address and user agent (issue 15).
  const userAgent = await page.evaluate(() => navigator.userAgent);
  const admin = await signedInPage(browser, ADMIN);
  const log = await admin.request.get(`/api/v1/audit?action=signout&actor=${encodeURIComponent(ROSE)}`);
  expect(log.status()).toBe(200);
  const [entry] = (await log.json()).items as Array<{ ip: string | null; userAgent: string | null }>;
  expect(entry).toMatchObject({ ip: expect.stringMatching(/^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/), userAgent });
  await admin.context().close();
});

test("an off-site callbackUrl is ignored", async ({ page }) => {
  // "//evil.test/..." is another host to a browser: the sign-in falls back to the export form.
  await signIn(page, TULIP, { from: "/signin?callbackUrl=%2F%2Fevil.test%2Fsteal", expectPath: /\/exports\/new$/ });
});

test("repeated wrong passwords get the rate-limit message", async ({ page }) => {
  await page.goto("/signin");
  const email = "nobody@suppliers.test";
  await page.getByLabel("Email").fill(email);
  const alert = page.getByTestId("signin-error");
  await expect(async () => {
    await page.getByLabel("Password").fill("wrong-password");
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(alert).toContainText("Too many failed sign-in attempts", { timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
  await shot(page, "signin-rate-limited");
});

test("suppliers get a 403 page on admin pages; admins see the admin nav", async ({ browser }) => {
  const supplier = await browser.newPage();
  await signIn(supplier, TULIP);
  const res = await supplier.goto("/admin/exports");
  expect(res?.status()).toBe(403);
  await expect(supplier.getByRole("heading", { name: "Admins only" })).toBeVisible();
  await expect(supplier.getByText("403")).toBeVisible();
  await shot(supplier, "admin-forbidden-for-supplier");
  await supplier.close();

  const admin = await browser.newPage();
  await signIn(admin, ADMIN);
  await expect(admin.getByTestId("signed-in-user")).toContainText("Admin");
  const nav = admin.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Admin" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "History" })).toHaveCount(0);
  // An admin's history is the admin list.
  await admin.goto("/exports");
  await expect(admin).toHaveURL(/\/admin\/exports$/);
  await admin.close();
});

test("the sign-in page fits a 375 px phone", async ({ browser }) => {
  const page = await browser.newPage({ viewport: { width: 375, height: 812 } });
  await page.goto("/signin");
  await expect(page.getByRole("button", { name: "Sign in", exact: true })).toBeVisible();
  await expectNoHorizontalScroll(page);
  await shot(page, "mobile-signin");
  await page.close();
});
