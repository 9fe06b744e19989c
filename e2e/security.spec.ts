// Security headers on pages and API routes, pages that still work under the CSP, and where signed-out and tricked visitors are sent (issue 12, findings 1, 11, 12).
import { expect, test, type APIResponse } from "@playwright/test";
import { ROSE, signIn } from "./helpers/portal";

function expectSecurityHeaders(res: APIResponse, what: string) {
  const h = res.headers();
  expect(h["content-security-policy"], what).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]{16,}' 'strict-dynamic'/);
  expect(h["content-security-policy"], what).toContain("frame-ancestors 'none'");
  expect(h["x-content-type-options"], what).toBe("nosniff");
  expect(h["x-frame-options"], what).toBe("DENY");
  expect(h["referrer-policy"], what).toBe("strict-origin-when-cross-origin");
}

test("every page and API route answers with the security headers; HSTS only behind HTTPS", async ({ request }) => {
  const nonces = new Set<string>();
  for (const path of ["/signin", "/docs/api", "/exports", "/admin/exports", "/settings", "/api/v1/openapi.json", "/api/v1/datasets", "/api/v1/exports", "/api/auth/csrf", "/api/files/nothing"]) {
    const res = await request.get(path, { maxRedirects: 0 });
    expect(res.status(), path).toBeLessThan(500);
    expectSecurityHeaders(res, path);
    expect(res.headers()["strict-transport-security"], path).toBeUndefined();
    nonces.add(/'nonce-([^']+)'/.exec(res.headers()["content-security-policy"]!)![1]!);
  }
  expect(nonces.size).toBe(10); // a fresh nonce per response
  const behindTls = await request.get("/signin", { headers: { "X-Forwarded-Proto": "https" } });
  expect(behindTls.headers()["strict-transport-security"]).toMatch(/^max-age=\d+/);
  const asset = /<script[^>]+src="(\/_next\/static\/[^"]+\.js)"/.exec(await (await request.get("/signin")).text())?.[1];
  expect(asset).toBeTruthy();
  expect((await request.get(asset!)).headers()["x-content-type-options"]).toBe("nosniff");
});

test("signed-out portal pages redirect with a real 307, not a 200 with a meta refresh", async ({ request }) => {
  for (const [path, callback] of [["/exports", "%2Fexports"], ["/admin/exports?status=ready", "%2Fadmin%2Fexports%3Fstatus%3Dready"], ["/settings", "%2Fsettings"], ["/dev/mail", "%2Fdev%2Fmail"]]) {
    const res = await request.get(path!, { maxRedirects: 0 });
    expect(res.status(), path).toBe(307);
    expect(res.headers()["location"], path).toBe(`/signin?callbackUrl=${callback}`);
  }
});

test("the portal runs under the CSP with no violation, and a tab-smuggled callbackUrl stays on the site", async ({ page }) => {
  const violations: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to (execute|load)/i.test(m.text())) violations.push(m.text());
  });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI}`));
  });
  // "/\t/evil.test" is "//evil.test" to a browser once the tab is stripped.
  await signIn(page, ROSE, { from: "/signin?callbackUrl=%2F%09%2Fevil.test%2Fsteal", expectPath: /localhost:\d+\/exports\/new$/ });
  for (const path of ["/exports/new", "/exports", "/settings", "/docs/api", "/dev/mail"]) {
    await page.goto(path);
    await expect(page.locator("main").first()).toBeVisible();
  }
  // Client-side navigation and React still work: the nav is interactive.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "History" }).click();
  await expect(page).toHaveURL(/\/exports$/);
  expect(violations).toEqual([]);

  // Signed in, the sign-in page redirects to the callbackUrl at once: a newline there was a 500.
  for (const evil of ["%2F%0A%2Fevil.test", "%2F%0D%0ASet-Cookie%3A%20x%3D1", "%2F%5Cevil.test"]) {
    const res = await page.request.get(`/signin?callbackUrl=${evil}`, { maxRedirects: 0 });
    expect(res.status(), evil).toBe(307);
    expect(res.headers()["location"], evil).toBe("/exports/new");
  }
});
