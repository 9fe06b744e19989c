/**
 * The accessibility tour of the pages the export builder's tour (builder.spec.ts) does not reach — schedules and
 * their form, the audit log, the admin's suppliers and users, an invitation and a password reset (real links, mailed
 * by the app), the API docs, the 403 and 404 pages — as a signed-out visitor, a supplier's owner, member and viewer,
 * and an admin, on a desktop and a 375 px phone (no sideways scrolling there). And an export page in each of its
 * statuses, desktop and phone, kept as screenshots in test-results/screenshots (tour-<viewport>-status-<status>.png).
 */
import fs from "node:fs";
import path from "node:path";
import { expect, test, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { OutboxMailer } from "@/lib/adapters/local/outbox-mailer";
import { checkPage, PHONE } from "./helpers/axe";
import { makeExportIn, makeFailedExport, makeQueuedExport, readExport, releaseExport, type ArrangedState } from "./helpers/backend";
import { ADMIN, expectStatus, makeTokens, ROSE, shot, signedInPage, signIn } from "./helpers/portal";
import { E2E_DATA_DIR } from "./stack-env";

test.describe.configure({ mode: "serial" });

const outbox = new OutboxMailer({ dir: path.join(E2E_DATA_DIR, "outbox"), from: "e2e" });
const run = Date.now().toString(36);
const MEMBER = `mia-${run}@suppliers.test`;
const VIEWER = `vic-${run}@suppliers.test`;
/** Invited and never joined: its link stays valid for the tour of the invitation page. */
const PENDING = `pim-${run}@suppliers.test`;
const PASSWORD = "tour-password-123";

/** What the tour found and made, for the later tests. */
const made = { invitePath: "", resetPath: "", scheduleId: "" };

/** The path of the newest mailed link to `to` whose path starts with `kind`, polled (mail is written after the response). */
async function linkFor(to: string, kind: "/invite/" | "/reset-password/"): Promise<string> {
  let link: string | undefined;
  await expect(async () => {
    const mail = (await outbox.listSent(500))!.find((m) => m.to === to && m.text.includes(kind));
    link = mail ? /(https?:\/\/\S+)/.exec(mail.text.slice(mail.text.indexOf("http")))?.[1] : undefined;
    expect(link).toBeTruthy();
  }).toPass({ timeout: 10_000 });
  return new URL(link!).pathname;
}

test("arrange: a member and a viewer join through their invitations; a pending invitation, a reset link and a schedule exist", async ({ browser }) => {
  const rose = await signedInPage(browser, ROSE);
  for (const [email, membership] of [
    [MEMBER, "member"],
    [VIEWER, "viewer"],
    [PENDING, "member"],
  ] as const) {
    const invited = await rose.request.post("/api/v1/members", { data: { email, membership } });
    expect(invited.status(), await invited.text()).toBe(201);
  }
  for (const email of [MEMBER, VIEWER]) {
    const token = (await linkFor(email, "/invite/")).slice("/invite/".length);
    const joined = await rose.request.post("/api/account/accept-invitation", { data: { token: decodeURIComponent(token), name: email.split("-")[0], password: PASSWORD } });
    expect(joined.status(), await joined.text()).toBe(200);
  }
  made.invitePath = await linkFor(PENDING, "/invite/");
  const asked = await rose.request.post("/api/account/forgot-password", { data: { email: MEMBER } });
  expect(asked.status()).toBe(202);
  made.resetPath = await linkFor(MEMBER, "/reset-password/");
  const schedule = await rose.request.post("/api/v1/schedules", {
    data: {
      name: "Weekly low stock for the Amsterdam and Rotterdam distribution centres",
      request: { dataset: "product_inventory", params: { lowStockOnly: true }, format: "csv", delimiter: ";", notify: false },
      cadence: { kind: "weekly", time: "06:30", weekday: 1 },
      timezone: "Europe/Amsterdam",
    },
  });
  expect(schedule.status(), await schedule.text()).toBe(201);
  made.scheduleId = ((await schedule.json()) as { id: string }).id;
  await makeTokens(rose);
  await rose.context().close();
});

type Who = "signed out" | "owner" | "member" | "viewer" | "admin";

async function pageAs(browser: Browser, who: Who, viewport: { width: number; height: number } | undefined): Promise<Page> {
  const context = await browser.newContext(viewport ? { viewport } : {});
  const page = await context.newPage();
  if (who === "signed out") return page;
  if (who === "owner") await signIn(page, ROSE);
  else if (who === "admin") await signIn(page, ADMIN);
  else {
    await page.goto("/signin");
    await page.locator("[data-hydrated]").first().waitFor();
    await page.getByLabel("Email").fill(who === "member" ? MEMBER : VIEWER);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect(page.getByTestId("signed-in-user")).toContainText(who === "member" ? MEMBER : VIEWER);
  }
  return page;
}

const PAGES: Record<Who, () => [string, string][]> = {
  "signed out": () => [
    ["/forgot-password", "forgot-password"],
    [made.resetPath, "reset-password"],
    ["/reset-password/not-a-real-token", "reset-password-bad-link"],
    [made.invitePath, "invite"],
    ["/invite/not-a-real-token", "invite-bad-link"],
    ["/docs/api", "docs-api"],
    ["/no-such-page", "not-found"],
  ],
  owner: () => [
    ["/schedules", "schedules"],
    ["/schedules/new", "schedule-new"],
    [`/schedules/${made.scheduleId}/edit`, "schedule-edit"],
    ["/audit", "audit"],
    ["/settings", "settings"],
    ["/admin/suppliers", "admin-suppliers-forbidden"],
    ["/admin/users", "admin-users-forbidden"],
    ["/admin/schedules", "admin-schedules-forbidden"],
    ["/no-such-page", "not-found"],
  ],
  member: () => [
    ["/exports/new", "new-export"],
    ["/exports", "history"],
    ["/schedules", "schedules"],
    ["/schedules/new", "schedule-new"],
    [`/schedules/${made.scheduleId}/edit`, "schedule-edit"],
    ["/settings", "settings"],
    ["/audit", "audit-forbidden"],
  ],
  viewer: () => [
    ["/exports/new", "new-export"],
    ["/exports", "history"],
    ["/schedules", "schedules"],
    ["/settings", "settings"],
    ["/audit", "audit-forbidden"],
  ],
  admin: () => [
    ["/admin/suppliers", "admin-suppliers"],
    ["/admin/users", "admin-users"],
    ["/admin/schedules", "admin-schedules"],
    ["/audit", "audit"],
    ["/schedules", "schedules"],
    ["/docs/api", "docs-api"],
    ["/no-such-page", "not-found"],
  ],
};

/** Pages whose content arrives after hydrating: wait for it before measuring. */
function readyFor(url: string, who: Who): ((page: Page) => Promise<void>) | undefined {
  if (url === "/settings" && who === "owner") return (p) => expect(p.getByTestId("token-row").first()).toBeVisible();
  if (url === "/settings") return (p) => expect(p.getByTestId("member-row").first()).toBeVisible();
  // The audit log is the owners': members and viewers get a 403 that says so (not "Admins only").
  if (url === "/audit" && (who === "member" || who === "viewer")) return (p) => expect(p.getByRole("heading", { level: 1 })).toHaveText("Owners only");
  if (url.startsWith("/exports/new") && who !== "viewer") return (p) => expect(p.getByTestId("export-preview")).toHaveAttribute("aria-busy", "false", { timeout: 20_000 });
  return undefined;
}

for (const who of ["signed out", "owner", "member", "viewer", "admin"] as const) {
  for (const viewport of [undefined, PHONE]) {
    const device = viewport ? "phone" : "desktop";
    test(`axe finds no violation on the team, schedule, audit, account and error pages as ${who === "signed out" ? "a signed-out visitor" : `the ${who}`} (${device})`, async ({ browser }, testInfo) => {
      test.setTimeout(240_000);
      const page = await pageAs(browser, who, viewport);
      const counts: Record<string, number> = {};
      for (const [url, name] of PAGES[who]()) {
        await checkPage(page, url, `${who} ${device} ${name}`, counts, readyFor(url, who));
        await shot(page, `tour-${device}-${who.replace(" ", "-")}-${name}`);
      }
      console.log(`axe ${who} ${device}: ${JSON.stringify(counts)}`);
      fs.writeFileSync(testInfo.outputPath("axe-counts.json"), JSON.stringify(counts, null, 2));
      await page.context().close();
    });
  }
}

type Session = Awaited<ReturnType<BrowserContext["storageState"]>>;

/**
 * A page as `who` in a fresh context: the first one of a test signs in through the form (pageAs), the later ones start
 * from its cookies (`sessions`, one map per test, so no other test's sign-out or password change can stale it).
 * The status pages are behind the session: a lost one redirects to /signin and fails their checks.
 */
async function pageWithSession(browser: Browser, who: "owner" | "admin", viewport: { width: number; height: number } | undefined, sessions: Map<Who, Session>): Promise<Page> {
  const storageState = sessions.get(who);
  if (!storageState) {
    const page = await pageAs(browser, who, viewport);
    sessions.set(who, await page.context().storageState());
    return page;
  }
  const context = await browser.newContext({ ...(viewport ? { viewport } : {}), storageState });
  return context.newPage();
}

/** Screenshots of an export page in `status`, desktop and phone, with axe and the phone width check on each. */
async function statusShots(browser: Browser, sessions: Map<Who, Session>, id: string, status: string, name: string, check?: (page: Page) => Promise<void>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const viewport of [undefined, PHONE]) {
    const device = viewport ? "phone" : "desktop";
    const page = await pageWithSession(browser, "owner", viewport, sessions);
    await checkPage(page, `/exports/${id}`, `owner ${device} ${name}`, counts, async (p) => {
      await expectStatus(p, status, 60_000);
      if (check) await check(p);
    });
    await shot(page, `tour-${device}-status-${name}`);
    await page.context().close();
  }
  return counts;
}

test("an export page in each status, desktop and phone: queued, running, retrying, archiving, stuck, ready, no rows, failed, cancelled", async ({ browser }) => {
  test.setTimeout(300_000);
  const counts: Record<string, number> = {};
  // One sign-in through the form as the owner and one as the admin; the other 19 contexts reuse those sessions (21 sign-ins before).
  const sessions = new Map<Who, Session>();
  const message = (p: Page) => p.getByTestId("status-message");
  // Held states: each is released after its screenshots, so at most one counts against Rose's active exports.
  const held: [ArrangedState | "queued", string, (p: Page) => Promise<void>][] = [
    ["queued", "queued", (p) => expect(message(p)).toContainText("Waiting for a worker")],
    ["running", "running", (p) => expect(message(p)).toContainText("The warehouse is running the query")],
    [
      "retrying",
      "running",
      async (p) => {
        await expect(message(p)).toContainText(/Retrying in \d+ s \(attempt 2 of 3\)/);
        // The badge says so too, not "Running".
        await expect(p.locator("[data-status][data-retrying]")).toHaveText("Retrying");
      },
    ],
    ["archiving", "archiving", (p) => expect(message(p)).toContainText("37% done")],
    ["stuck", "queued", (p) => expect(message(p)).toContainText("Still waiting for a worker after 11 minutes")],
  ];
  let n = 0;
  for (const [state, status, check] of held) {
    const body = { dataset: "product_detail", params: { skus: [`FLOWER${20 + n++}`] }, format: "csv", notify: true };
    const id = state === "queued" ? await makeQueuedExport(ROSE, body) : await makeExportIn(ROSE, state, body);
    Object.assign(counts, await statusShots(browser, sessions, id, status, state, check));
    await releaseExport(id);
  }
  const cancelled = await makeExportIn(ROSE, "cancelled", { dataset: "product_detail", params: { skus: ["FLOWER30"] }, format: "csv", notify: true });
  Object.assign(counts, await statusShots(browser, sessions, cancelled, "cancelled", "cancelled", (p) => expect(message(p)).toHaveText("The export was cancelled. No email was sent.")));
  const failed = await makeFailedExport(ROSE, { dataset: "product_detail", params: { skus: ["FLOWER31"] }, format: "parquet", notify: true });
  Object.assign(counts, await statusShots(browser, sessions, failed, "failed", "failed", (p) => expect(p.getByTestId("failure-explanation")).toContainText("could not be queued")));

  // Ready and no rows: real runs through the queue and the worker.
  const rose = await pageWithSession(browser, "owner", undefined, sessions);
  const submit = async (body: Record<string, unknown>) => {
    const res = await rose.request.post("/api/v1/exports", { data: body, headers: { "idempotency-key": `tour-${run}-${JSON.stringify(body.params)}` } });
    expect(res.status(), await res.text()).toBe(202);
    return ((await res.json()) as { export: { id: string } }).export.id;
  };
  const ready = await submit({ dataset: "product_inventory", params: { lowStockOnly: true, skuPrefix: "FLOWER1" }, format: "csv", delimiter: ";", notify: true });
  const noRows = await submit({ dataset: "product_inventory", params: { skuPrefix: "NOSUCHSKU" }, format: "csv", notify: false });
  await rose.context().close();
  for (const id of [ready, noRows]) await expect.poll(async () => (await readExport(ROSE, id)).export.status, { timeout: 60_000 }).toBe("ready");
  Object.assign(counts, await statusShots(browser, sessions, ready, "ready", "ready", (p) => expect(p.getByRole("link", { name: "Download zip" })).toBeVisible()));
  Object.assign(counts, await statusShots(browser, sessions, noRows, "no_rows", "no-rows", async (p) => {
    await expect(message(p)).toContainText("No rows matched these filters.");
    await expect(p.locator('[data-step="ready"]')).toContainText("Finished: no rows matched");
  }));

  // The admin's search finds the ready one by its id.
  for (const viewport of [undefined, PHONE]) {
    const device = viewport ? "phone" : "desktop";
    const admin = await pageWithSession(browser, "admin", viewport, sessions);
    await checkPage(admin, `/admin/exports?q=${ready}`, `admin ${device} search`, counts, (p) => expect(p.locator(`tr[data-export-id="${ready}"]`)).toHaveCount(1));
    await shot(admin, `tour-${device}-admin-search`);
    await admin.context().close();
  }
  console.log(`axe status pages: ${JSON.stringify(counts)}`);
});
