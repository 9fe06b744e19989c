// A supplier creates an API token in Settings, an application uses it against /api/v1, the supplier revokes it and it stops working.
import { expect, test } from "@playwright/test";
import { E2E_BASE_URL } from "./stack-env";
import { hydrated, ROSE, shot, signedInPage } from "./helpers/portal";

/** A request as a partner application makes it: no browser, no cookies, just the token. */
function api(path: string, token: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  return fetch(`${E2E_BASE_URL}/api/v1${path}`, {
    method: init.method ?? "GET",
    headers: { authorization: `Bearer ${token}`, ...(init.body ? { "content-type": "application/json" } : {}), ...init.headers },
    body: init.body ? JSON.stringify(init.body) : undefined,
    redirect: "manual",
  });
}

test("a supplier creates a token in Settings, an application uses it, and after revoking it gets 401", async ({ browser }) => {
  const page = await signedInPage(browser, ROSE);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
  await expect(page).toHaveURL(/\/settings$/);
  await expect(page.getByRole("heading", { name: "API tokens" })).toBeVisible();
  await hydrated(page);

  const name = `e2e sync ${Date.now()}`;
  await page.getByLabel("Token name").fill(name);
  // The application requests exports too: exports:write besides the default exports:read.
  await page.getByLabel(/^exports:write/).check();
  await page.getByRole("button", { name: "Create token" }).click();
  const secret = (await page.getByTestId("token-secret").textContent())?.trim() ?? "";
  expect(secret).toMatch(/^pep_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
  await expect(page.getByRole("button", { name: "Copy the token" })).toBeVisible();
  const row = page.getByTestId("token-row").filter({ hasText: name });
  await expect(row).toContainText(`pep_${secret.slice(4, 16)}_…`);
  await expect(row).toContainText("Never");
  await shot(page, "settings-token-created");

  // The application: list, then request an export with an Idempotency-Key (twice: one export).
  const list = await api("/exports", secret);
  expect(list.status).toBe(200);
  const body = { dataset: "customer_reviews", params: { ratingMin: 4 }, format: "csv", notify: false };
  const key = `e2e-${Date.now()}`;
  const first = await api("/exports", secret, { method: "POST", body, headers: { "idempotency-key": key } });
  expect(first.status).toBe(202);
  const created = (await first.json()) as { export: { id: string; supplierId: string } };
  expect(created.export.supplierId).toBe("sup_rose");
  const replay = await api("/exports", secret, { method: "POST", body, headers: { "idempotency-key": key } });
  expect(replay.status).toBe(200);
  expect(((await replay.json()) as { export: { id: string } }).export.id).toBe(created.export.id);
  expect((await api(`/exports/${created.export.id}`, secret)).status).toBe(200);
  // Token management is for people signed in, not for tokens.
  expect((await api("/tokens", secret)).status).toBe(401);

  // Settings shows the token was used.
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("token-row").filter({ hasText: name })).not.toContainText("Never");

  // Revoke, with a confirmation.
  await page.getByRole("button", { name: `Revoke token ${name}` }).click();
  await expect(row).toContainText("Apps using it stop working");
  await shot(page, "settings-token-revoke-confirm");
  await row.getByRole("button", { name: "Yes, revoke" }).click();
  await expect(row).toContainText("Revoked");

  const after = await api("/exports", secret);
  expect(after.status).toBe(401);
  expect(after.headers.get("www-authenticate")).toMatch(/^Bearer/);
  expect(((await after.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
  await page.context().close();
});

test("the API docs page and the OpenAPI document are public", async ({ page }) => {
  await page.goto("/docs/api");
  await expect(page.getByRole("heading", { name: "Partner Export API" })).toBeVisible();
  await expect(page.getByLabel("Download the archive")).toContainText("curl -L -OJ");
  await expect(page.getByLabel("Verify a delivery in Node")).toContainText("createHmac");
  await shot(page, "api-docs");
  const doc = await fetch(`${E2E_BASE_URL}/api/v1/openapi.json`);
  expect(doc.status).toBe(200);
  expect(((await doc.json()) as { openapi: string }).openapi).toBe("3.1.0");
});
