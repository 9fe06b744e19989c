/**
 * Teams in the browser: an owner invites a viewer by email (the link from the
 * outbox), the viewer joins and cannot request exports, the owner promotes
 * and then removes them (their open session ends at once); "Forgot password?"
 * from the sign-in page ends the old session; a token's scopes in Settings
 * and its 403 naming the missing scope; and the audit log as the owner and the
 * admin see it, with its CSV kept as a test artifact (test-results/audit-log.csv).
 */
import fs from "node:fs";
import path from "node:path";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { OutboxMailer } from "@/lib/adapters/local/outbox-mailer";
import { ADMIN, hydrated, ROSE, shot, signedInPage, TULIP } from "./helpers/portal";
import { E2E_DATA_DIR, REPO_ROOT } from "./stack-env";

test.describe.configure({ mode: "serial" });

const outbox = new OutboxMailer({ dir: path.join(E2E_DATA_DIR, "outbox"), from: "e2e" });
const VIEWER = "daisy@suppliers.test";
const VIEWER_PASSWORD = "daisy-password-123";

/** The link of the newest mail to `to` whose path starts with `kind`, polled (mail is written after the response). */
async function linkFor(to: string, kind: "/invite/" | "/reset-password/"): Promise<string> {
  let link: string | undefined;
  await expect(async () => {
    const mail = (await outbox.listSent(200))!.find((m) => m.to === to && m.text.includes(kind));
    link = mail ? /(https?:\/\/\S+)/.exec(mail.text.slice(mail.text.indexOf("http")))?.[1] : undefined;
    expect(link).toBeTruthy();
  }).toPass({ timeout: 10_000 });
  return new URL(link!).pathname;
}

async function signInWith(browser: Browser, email: string, password: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto("/signin");
  await hydrated(page);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page).toHaveURL(/\/exports\/new$/);
  return page;
}

const exportBody = { dataset: "product_inventory", params: {}, format: "csv", notify: false };

test("an owner invites a viewer, who joins and cannot request exports; promoted they can; removed, their session ends", async ({ browser }) => {
  const rose = await signedInPage(browser, ROSE);
  await rose.goto("/settings");
  await hydrated(rose);
  await rose.getByLabel("Invite by email").fill(VIEWER);
  await rose.getByLabel("Role", { exact: true }).selectOption("viewer");
  await rose.getByRole("button", { name: "Send invitation" }).click();
  await expect(rose.getByRole("status").filter({ hasText: "Invitation sent to daisy@suppliers.test" })).toBeVisible();
  await expect(rose.locator(`[data-testid=member-row][data-email="${VIEWER}"]`)).toContainText("invited");
  await shot(rose, "teams-settings-members");

  const invitee = await (await browser.newContext()).newPage();
  await invitee.goto(await linkFor(VIEWER, "/invite/"));
  await expect(invitee.getByTestId("invited-email")).toHaveText(VIEWER);
  await hydrated(invitee);
  await invitee.getByLabel("Your name").fill("Daisy");
  await invitee.getByLabel("New password").fill(VIEWER_PASSWORD);
  await invitee.getByRole("button", { name: "Join and choose this password" }).click();
  await expect(invitee).toHaveURL(/\/signin\?joined=1$/);
  await shot(invitee, "teams-joined");
  // The link worked once.
  await invitee.goto(await linkFor(VIEWER, "/invite/"));
  await expect(invitee.getByRole("alert").filter({ hasText: "already been used" })).toBeVisible();

  const daisy = await signInWith(browser, VIEWER, VIEWER_PASSWORD);
  await expect(daisy.getByTestId("signed-in-user")).toContainText("Rose Supply Co · viewer");
  await expect(daisy.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit log" })).toHaveCount(0);
  const refused = await daisy.request.post("/api/v1/exports", { data: exportBody });
  expect(refused.status()).toBe(403);
  expect((await refused.json()).error.message).toBe("This needs a member or owner of the supplier; your role is viewer.");
  expect((await daisy.request.get("/api/v1/exports")).status()).toBe(200);

  await rose.reload();
  await hydrated(rose);
  await rose.getByLabel(`Role of ${VIEWER}`).selectOption("member");
  await expect(async () => expect((await daisy.request.post("/api/v1/exports", { data: exportBody })).status()).toBe(202)).toPass({ timeout: 10_000 });

  rose.once("dialog", (d) => void d.accept());
  await rose.getByRole("button", { name: `Remove ${VIEWER}` }).click();
  await expect(rose.locator(`[data-testid=member-row][data-email="${VIEWER}"]`)).toHaveCount(0);
  await daisy.goto("/exports");
  await expect(daisy).toHaveURL(/\/signin/);
  expect((await daisy.request.get("/api/v1/exports")).status()).toBe(401);
});

test("Forgot password? mails a single-use link; the new password works and the old session ends", async ({ browser }) => {
  const before = await signedInPage(browser, TULIP);
  const page = await (await browser.newContext()).newPage();
  await page.goto("/signin");
  await hydrated(page);
  // One wrong password first: the audit log records failed sign-ins too.
  await page.getByLabel("Email").fill(TULIP);
  await page.getByLabel("Password").fill("not-tulips-password");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByTestId("signin-error")).toHaveText("Wrong email or password.");
  await page.getByRole("link", { name: "Forgot password?" }).click();
  await expect(page).toHaveURL(/\/forgot-password$/);
  await hydrated(page);
  await page.getByLabel("Email").fill(TULIP);
  await page.getByRole("button", { name: "Send me a reset link" }).click();
  const answer = page.getByRole("status");
  await expect(answer).toContainText("If an account exists for that address");
  // The same words for an address without an account.
  const other = await (await browser.newContext()).newPage();
  await other.goto("/forgot-password");
  await hydrated(other);
  await other.getByLabel("Email").fill("nobody-here@suppliers.test");
  await other.getByRole("button", { name: "Send me a reset link" }).click();
  await expect(other.getByRole("status")).toHaveText((await answer.textContent())!);

  await page.goto(await linkFor(TULIP, "/reset-password/"));
  await hydrated(page);
  await page.getByLabel("New password").fill("tulip-new-password-1");
  await page.getByRole("button", { name: "Set the new password" }).click();
  await expect(page).toHaveURL(/\/signin\?reset=1$/);
  await expect(page.getByRole("status")).toContainText("every session ended");
  await signInWith(browser, TULIP, "tulip-new-password-1");
  await before.goto("/exports");
  await expect(before).toHaveURL(/\/signin/);
});

test("Settings shows a token's scopes; a read-only token gets 403 naming exports:write", async ({ browser }) => {
  const rose = await signedInPage(browser, ROSE);
  await rose.goto("/settings");
  await hydrated(rose);
  await rose.getByLabel("Token name").fill("read-only reporting");
  await rose.getByLabel("Expires").selectOption("30");
  await rose.getByRole("button", { name: "Create token" }).click();
  const secret = (await rose.getByTestId("token-secret").textContent())?.trim() ?? "";
  expect(secret).toMatch(/^pep_/);
  const row = rose.getByTestId("token-row").filter({ hasText: "read-only reporting" });
  await expect(row.getByTestId("token-scopes")).toHaveText("exports:read");
  await expect(row).toContainText("in 30 days");
  await shot(rose, "teams-token-scopes");
  const api = await rose.context().request;
  const read = await api.get("/api/v1/exports", { headers: { authorization: `Bearer ${secret}` } });
  expect(read.status()).toBe(200);
  const write = await api.post("/api/v1/exports", { headers: { authorization: `Bearer ${secret}` }, data: exportBody });
  expect(write.status()).toBe(403);
  expect((await write.json()).error.message).toBe('This API token lacks the scope "exports:write".');
});

test("the audit log: the owner sees their supplier's entries, filters them; the admin sees everything and exports CSV", async ({ browser }) => {
  const rose = await signedInPage(browser, ROSE);
  await rose.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit log" }).click();
  await expect(rose).toHaveURL(/\/audit$/);
  const actions = await rose.getByTestId("audit-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-action")));
  for (const a of ["signin", "member.invited", "member.joined", "member.role_changed", "member.removed", "token.created", "export.requested"]) expect(actions).toContain(a);
  await shot(rose, "teams-audit-owner");
  await rose.getByLabel("Action").selectOption("member.invited");
  await rose.getByRole("button", { name: "Filter" }).click();
  await expect(rose).toHaveURL(/action=member\.invited/);
  const filtered = await rose.getByTestId("audit-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-action")));
  expect(new Set(filtered)).toEqual(new Set(["member.invited"]));
  // Tulip's reset is another supplier's entry: not in Rose's log.
  await rose.goto("/audit?action=password.reset");
  await expect(rose.getByTestId("audit-row")).toHaveCount(0);

  const admin = await signedInPage(browser, ADMIN);
  await admin.goto("/audit");
  await expect(admin.getByTestId("audit-row").first()).toBeVisible();
  const all = await admin.getByTestId("audit-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-action")));
  expect(all).toEqual(expect.arrayContaining(["password.reset", "password.reset_requested", "signin.failed", "member.removed"]));
  await shot(admin, "teams-audit-admin");
  const csv = await admin.request.get("/api/v1/audit?format=csv");
  expect(csv.status()).toBe(200);
  expect(csv.headers()["content-type"]).toMatch(/text\/csv/);
  const text = await csv.text();
  expect(text.split("\r\n")[0]).toBe("at,action,actorEmail,actorId,via,supplierId,target,ip,userAgent,detail,id");
  fs.mkdirSync(path.join(REPO_ROOT, "test-results"), { recursive: true });
  fs.writeFileSync(path.join(REPO_ROOT, "test-results", "audit-log.csv"), text);

  // Owners of a supplier see the admin pages as 403; the admin manages suppliers and users.
  await admin.goto("/admin/suppliers");
  await expect(admin.locator('[data-testid=supplier-row][data-id="sup_rose"]')).toBeVisible();
  await admin.goto("/admin/users");
  await expect(admin.locator(`[data-testid=user-row][data-email="${ROSE}"]`)).toContainText("owner");
  expect((await rose.goto("/admin/suppliers"))?.status()).toBe(403);
});
