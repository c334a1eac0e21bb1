// Browser tests of the dashboard and the /docs page (issue 14): Debian's Chromium, headless,
// driven by playwright-core against a real soundtrend server this file starts (harness.mjs).
// Run by ctest (web/CMakeLists.txt) or `SOUNDTREND_BINARY=... node --test tests/browser/`.
// Screenshots of every page go to SCREENSHOT_DIR.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { cspViolations, launchBrowser, screenshotDir, seriousViolations, startService, watchCsp, watchPage } from "./harness.mjs";

let service;
let browser;
let shots;
const axeReport = [];

before(async () => {
  service = await startService();
  browser = await launchBrowser();
  shots = screenshotDir();
  console.log(`# server ${service.base} (demo data and server ready in ${service.setupSeconds.toFixed(1)} s); screenshots in ${shots}`);
});

after(async () => {
  await browser?.close();
  await service?.stop();
  if (axeReport.length) console.log(`# axe: ${axeReport.join("; ")}`);
});

async function newPage({ width = 1440, height = 900, colorScheme = "light" } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, colorScheme, acceptDownloads: true });
  const page = await context.newPage();
  await watchCsp(page);
  const problems = watchPage(page, service.base);
  const urls = [];
  page.on("request", (r) => urls.push(r.url()));
  return { context, page, problems, urls };
}

async function api(path, key) {
  const r = await fetch(service.base + path, { headers: key ? { Authorization: `Bearer ${key}` } : {} });
  return { status: r.status, json: await r.json().catch(() => null) };
}

async function signIn(page, kind, secret) {
  await page.goto(`${service.base}/dashboard/`);
  if (kind === "operator") await page.getByRole("tab", { name: "Operator" }).click();
  await page.getByLabel(kind === "operator" ? "Admin token" : "API key").fill(secret);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(kind === "operator" ? /\/dashboard\/admin\/keys$/ : /\/dashboard\/overview$/);
}

// The checks every page gets: no CSP violation, no script error, no serious or critical
// accessibility problem (light and dark), a screenshot at this width (the whole page, or
// with fullPage false its first screen).
async function checkPage(page, problems, name, { fullPage = true } = {}) {
  assert.deepEqual(await cspViolations(page), [], `${name}: CSP violations`);
  assert.deepEqual(problems, [], `${name}: errors in the page`);
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme });
    const violations = await seriousViolations(page);
    assert.deepEqual(violations, [], `${name} (${scheme}): axe found serious/critical violations`);
    const width = page.viewportSize().width;
    await page.screenshot({ path: join(shots, `${name}-${width}-${scheme}.png`), fullPage });
  }
  axeReport.push(`${name}: 0 serious/critical`);
  await page.emulateMedia({ colorScheme: "light" });
}

function numberIn(text) {
  return Number(text.replace(/[^0-9]/g, ""));
}

describe("customer", () => {
  test("signs in with a demo key, sees the balance of /v1/account, browses US 7 days, searches, signs out", async () => {
    const { context, page, problems, urls } = await newPage();
    await page.goto(`${service.base}/dashboard/`);
    await checkPage(page, problems, "sign-in");
    await signIn(page, "customer", service.demoKey);

    const account = await api("/v1/account", service.demoKey);
    assert.equal(account.status, 200);
    const balance = page.getByTestId("balance");
    await balance.waitFor();
    assert.equal(numberIn(await balance.textContent()), account.json.data.balance);
    await checkPage(page, problems, "overview");

    await page.getByRole("link", { name: "Charts" }).click();
    await page.getByLabel("Region").selectOption("US");
    await page.getByLabel("Period").selectOption("7");
    const rows = page.locator("table.chart-table tbody tr");
    await rows.first().waitFor();
    assert.equal(await rows.count(), 20, "20 rows on the first page");
    assert.equal(await page.locator("table.chart-table tbody tr svg.sparkline polyline").count(), 20, "a sparkline per row");
    assert.equal(await page.locator("table.chart-table tbody tr .movement").count(), 20, "movement per row");
    const movements = await page.locator("table.chart-table .movement").allTextContents();
    assert.ok(movements.every((m) => /^(▲ \d+|▼ \d+|NEW|–)$/.test(m.trim())), `movement shapes: ${movements.join(",")}`);
    await page.getByText(/This page cost 2 credits/).waitFor();
    const after = await api("/v1/account", service.demoKey);
    assert.ok(after.json.data.balance <= account.json.data.balance - 2, "the chart page was a paid request");
    await checkPage(page, problems, "charts-us-7");

    await page.getByLabel("Search title or artist").fill("cafe");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await page.waitForURL(/q=cafe/);
    await page.locator("table.chart-table tbody tr").first().waitFor();
    const titles = await page.locator("table.chart-table .sound-title").allTextContents();
    assert.ok(titles.some((t) => /café/i.test(t)), `an accented title found by "cafe": ${titles.join(" | ")}`);
    await checkPage(page, problems, "charts-search");

    // A sound's page (the detail endpoint, a paid request): where it stands, uses per day,
    // rank history and audience countries as charts, the same figures as the API's.
    const hit = page.locator("table.chart-table .sound-title a", { hasText: /café/i }).first();
    const hitTitle = (await hit.textContent()).trim();
    await hit.click();
    await page.waitForURL(/\/dashboard\/sounds\/\d+\?region=US&period=7$/);
    await page.getByRole("heading", { level: 1, name: hitTitle }).waitFor();
    await page.getByText(/This page cost 2 credits/).waitFor();
    const clip = new URL(page.url()).pathname.split("/").pop();
    const detail = await api(`/v1/tiktok/trending/music/detail?clip_id=${clip}&region=US&period=7`, service.demoKey);
    assert.equal(detail.status, 200);
    const sound = detail.json.data.sound;
    assert.equal(sound.title, hitTitle);
    assert.equal((await page.getByTestId("sound-rank").textContent()).trim(), sound.rank === null ? "not ranked" : String(sound.rank));
    assert.ok(sound.usage_by_day.length > 0, "the hit was used in the window");
    await page.locator('[data-chart="sound-usage"] canvas').first().waitFor();
    if (sound.rank_history.some((d) => d.rank !== null)) await page.locator('[data-chart="sound-rank"] canvas').first().waitFor();
    const countries = await page.getByTestId("audience-countries").locator("tbody th").allTextContents();
    assert.deepEqual(
      countries.map((c) => c.trim()),
      sound.audience_countries.map((c) => `${c.country_info.value} (${c.country_info.label})`),
      "audience countries as the API gives them",
    );
    assert.ok(countries.length >= 1);
    await checkPage(page, problems, "sound");

    // Popular or surging: the breakout chart (docs/api.md §8), its rows as the API's.
    await page.getByRole("link", { name: /^← Charts of US/ }).click();
    await page.getByRole("combobox", { name: "Chart" }).selectOption("surging");
    await page.waitForURL(/type=surging/);
    await page.getByRole("heading", { name: /^Surging in / }).waitFor();
    // The surging rows (growth given), not the popular ones still shown for a frame.
    await page.locator('table.chart-table td[data-label="Growth"]', { hasText: "×" }).first().waitFor();
    const surging = await api("/v1/tiktok/trending/music?region=US&period=7&rank_type=surging&limit=20", service.demoKey);
    assert.equal(surging.status, 200);
    const clips = await page.locator("table.chart-table tbody tr").evaluateAll((rs) => rs.map((r) => r.dataset.clip));
    assert.deepEqual(clips, surging.json.data.sound_list.map((x) => x.clip_id), "the surging chart's rows");
    assert.ok(clips.length > 0);
    const growth = await page.locator('table.chart-table td[data-label="Growth"]').allTextContents();
    assert.ok(growth.every((g) => /^×\d+\.\d\d$/.test(g.trim())), `growth: ${growth.join(",")}`);
    await checkPage(page, problems, "charts-surging");

    // The overview counts what this key did, whoever sent it: the dashboard's chart pages
    // and a request sent straight to the API (found by its request id).
    const direct = await fetch(`${service.base}/v1/tiktok/trending/music?region=FR&period=7`, { headers: { Authorization: `Bearer ${service.demoKey}` } });
    assert.equal(direct.status, 200);
    const directId = direct.headers.get("x-request-id");
    const spent = account.json.data.balance - (await api("/v1/account", service.demoKey)).json.data.balance;
    await page.getByRole("link", { name: "Overview" }).click();
    await page.getByTestId("credits-7").waitFor();
    assert.equal(numberIn(await page.getByTestId("credits-7").textContent()), spent, "credits spent over 7 days = the balance's drop");
    assert.ok(spent >= 6, `three paid pages at least (${spent})`);
    await page.locator('[data-chart="usage"] canvas').first().waitFor();
    const recent = page.getByTestId("recent-requests").locator("tbody tr");
    const n = await recent.count();
    assert.ok(n >= 4 && n <= 50, `latest requests: ${n}`);
    const directRow = page.getByTestId("recent-requests").locator("tr", { hasText: directId });
    assert.equal(await directRow.count(), 1, "the direct API request is listed by its request id");
    assert.match(await directRow.textContent(), /\/v1\/tiktok\/trending\/music.*200.*2/);
    await checkPage(page, problems, "overview-usage");

    // The key is nowhere in the page's storage, cookies readable by scripts, or any URL.
    const storage = await page.evaluate(async () => ({
      local: JSON.stringify({ ...localStorage }),
      session: JSON.stringify({ ...sessionStorage }),
      cookie: document.cookie,
      href: location.href,
      history: history.length,
      idb: (await indexedDB.databases()).map((d) => d.name),
      caches: "caches" in window ? await caches.keys() : [],
    }));
    const key = service.demoKey;
    for (const [where, value] of Object.entries(storage)) {
      assert.ok(!JSON.stringify(value).includes(key), `key in ${where}`);
    }
    assert.ok(!storage.cookie.includes("st_session"), "the session cookie is HttpOnly");
    assert.ok(!urls.some((u) => u.includes(key) || u.includes(encodeURIComponent(key))), "key in a URL");
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === "st_session");
    assert.ok(session, "a session cookie");
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, "Strict");
    assert.ok(!session.value.includes(key));

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/dashboard\/$/);
    await page.goto(`${service.base}/dashboard/charts?region=US&period=7`);
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    assert.deepEqual(problems, []);
    const refused = await page.evaluate(async () => {
      const codes = [];
      for (const p of ["/dashboard/api/session", "/dashboard/api/v1/account", "/dashboard/api/v1/tiktok/trending/music?region=US", "/dashboard/api/v1/tiktok/trending/music/detail?clip_id=1", "/dashboard/api/usage"]) {
        codes.push((await fetch(p)).status);
      }
      return codes;
    });
    assert.deepEqual(refused, [401, 401, 401, 401, 401]);
    // Even the old cookie, replayed by hand, opens nothing: the session was revoked.
    const replay = await fetch(`${service.base}/dashboard/api/v1/account`, { headers: { Cookie: `st_session=${session.value}` } });
    assert.equal(replay.status, 401);
    await context.close();
  });

  test("keyboard only: sign in, reach the charts, change the period", async () => {
    const { context, page, problems } = await newPage();
    await page.goto(`${service.base}/dashboard/`);
    await page.keyboard.press("Tab"); // skip link
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Skip to content");
    const field = page.getByLabel("API key");
    await field.focus();
    await page.keyboard.type(service.demoKey);
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/overview$/);
    await page.getByRole("link", { name: "Charts" }).focus();
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/charts/);
    await page.locator("table.chart-table tbody tr").first().waitFor();
    await page.getByLabel("Period").focus();
    await page.keyboard.press("ArrowDown"); // 30 days
    await page.waitForURL(/period=30/);
    await page.locator("table.chart-table tbody tr").first().waitFor();
    assert.deepEqual(problems, []);
    await context.close();
  });

  test("at 375 px wide every customer page is usable (rows stack, nothing scrolls sideways)", async () => {
    const { context, page, problems } = await newPage({ width: 375, height: 812 });
    await signIn(page, "customer", service.demoKey);
    await page.getByTestId("balance").waitFor();
    await checkPage(page, problems, "overview");
    await page.goto(`${service.base}/dashboard/charts?region=US&period=7`);
    await page.locator("table.chart-table tbody tr").first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page wider than the screen by ${overflow}px`);
    await checkPage(page, problems, "charts-us-7");
    const clip = await page.locator("table.chart-table tbody tr").first().getAttribute("data-clip");
    await page.goto(`${service.base}/dashboard/sounds/${clip}?region=US&period=7`);
    await page.locator('[data-chart="sound-usage"] canvas').first().waitFor();
    const soundOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(soundOverflow <= 0, `sound page wider than the screen by ${soundOverflow}px`);
    await checkPage(page, problems, "sound");
    await context.close();
  });
});

describe("operator", () => {
  test("creates a key and sees it once; the API accepts it; revokes it; the API refuses it at once", async () => {
    const { context, page, problems } = await newPage();
    await signIn(page, "operator", service.adminToken);
    await page.getByRole("heading", { name: "Keys", exact: true }).waitFor();
    await checkPage(page, problems, "admin-keys");

    const name = `browser test ${Date.now()}`;
    await page.getByLabel("Name").fill(name);
    await page.getByLabel("Credits").fill("100");
    await page.getByLabel("QPS limit").fill("5");
    await page.getByLabel("Burst").fill("7");
    const expires = new Date(Date.now() + 30 * 86400e3).toISOString().slice(0, 10);
    await page.getByLabel("Expires (UTC day)").fill(expires);
    await page.getByLabel("/v1/tiktok/trending/music", { exact: true }).check();
    await page.getByLabel("/v1/account", { exact: true }).check();
    await page.getByRole("button", { name: "Create key" }).click();
    const shown = page.getByTestId("new-key-value");
    await shown.waitFor();
    const key = (await shown.textContent()).trim();
    assert.match(key, /^sk_live_[0-9A-Za-z]{32,}$/);
    await checkPage(page, problems, "admin-key-created");

    const ok = await api("/v1/tiktok/trending/music?region=US&period=7", key);
    assert.equal(ok.status, 200, "the API accepts the new key");
    const account = await api("/v1/account", key);
    assert.equal(account.json.data.rate_limit.qps, 5);
    assert.equal(account.json.data.rate_limit.burst, 7);
    assert.equal(account.json.data.expires_at.slice(0, 10), expires);
    assert.deepEqual(account.json.data.endpoints, ["/v1/tiktok/trending/music", "/v1/account"]);
    assert.equal(await api("/v1/tiktok/regions", key).then((r) => r.status), 200); // free, no key needed

    // Shown once: after a reload the page has no trace of it.
    await page.reload();
    await page.getByRole("heading", { name: "All keys" }).waitFor();
    assert.equal(await page.getByTestId("new-key-value").count(), 0);
    assert.ok(!(await page.content()).includes(key));

    const row = page.locator("tr", { hasText: name });
    await row.getByRole("button", { name: /Revoke/ }).click();
    const dialog = page.getByRole("dialog", { name: "Revoke this key?" });
    await dialog.waitFor();
    await checkPage(page, problems, "admin-revoke-confirm");
    const revokeAnswer = page.waitForResponse((r) => r.url().endsWith("/dashboard/api/admin/keys/revoke"));
    await dialog.getByRole("button", { name: "Revoke" }).click();
    const revoked = await revokeAnswer;
    assert.equal(revoked.status(), 200);
    const sinceRevoke = Date.now();
    const refused = await api("/v1/tiktok/trending/music?region=US&period=7", key);
    assert.equal(refused.status, 401, "the first request after the revocation is refused");
    assert.equal(refused.json.message, "apiKey is invalid");
    console.log(`# revoked key refused ${Date.now() - sinceRevoke} ms after the revoke answer`);
    await row.getByText("revoked").waitFor();
    assert.deepEqual(problems, []);
    await context.close();
  });

  test("a key's page: grant with an id (applied once), grants, ledger and its CSV", async () => {
    const { context, page, problems } = await newPage();
    await signIn(page, "operator", service.adminToken);
    await page.locator("tr", { hasText: service.demoKeyId }).getByRole("link").click();
    await page.waitForURL(new RegExp(`/admin/keys/${service.demoKeyId}$`));
    await page.getByRole("heading", { name: "Ledger" }).waitFor();
    const grantId = `browser-${Date.now()}`;
    await page.getByLabel("Amount").fill("25");
    await page.getByLabel("Grant id").fill(grantId);
    await page.getByRole("button", { name: "Grant", exact: true }).click();
    await page.getByText(`Grant ${grantId} applied`).waitFor();
    await page.getByRole("cell", { name: grantId }).first().waitFor();
    await page.getByLabel("Grant id").fill(grantId); // the same id again: nothing added
    await page.getByLabel("Amount").fill("25");
    await page.getByRole("button", { name: "Grant", exact: true }).click();
    await page.getByText(`Grant ${grantId} was applied before`).waitFor();
    await checkPage(page, problems, "admin-key-ledger");

    const download = page.waitForEvent("download");
    await page.getByRole("link", { name: /Download CSV/ }).click();
    const file = await (await download).path();
    const csv = readFileSync(file, "utf8");
    const lines = csv.trim().split("\n");
    assert.match(lines[0], /seq/);
    assert.ok(lines.some((l) => l.includes(grantId)), "the grant is in the CSV");
    assert.ok(lines.length >= 3);
    await context.close();
  });

  test("edits a key's limits and rotates its secret: the API sees both on the next request", async () => {
    const made = await fetch(`${service.base}/admin/v1/keys`, {
      method: "POST",
      headers: { Authorization: `Bearer ${service.adminToken}`, "Content-Type": "application/json" },
      body: JSON.stringify({ name: `edited ${Date.now()}`, credits: 50, qps: 5 }),
    }).then((r) => r.json());
    const { key, key_id: keyId } = made.data;
    const { context, page, problems } = await newPage();
    await signIn(page, "operator", service.adminToken);
    await page.locator("tr", { hasText: keyId }).getByRole("link").click();
    await page.waitForURL(new RegExp(`/admin/keys/${keyId}$`));
    const form = page.getByTestId("edit-limits");
    await form.getByRole("button", { name: "Save changes" }).click();
    await page.getByText("Nothing changed.").waitFor();
    assert.equal(await form.getByLabel("QPS limit").inputValue(), "5");
    await form.getByLabel("QPS limit").fill("9");
    await form.getByLabel("Burst").fill("12");
    await form.getByLabel("Never expires").uncheck();
    const expires = new Date(Date.now() + 10 * 86400e3).toISOString().slice(0, 10);
    await form.getByLabel("Expires (UTC day)").fill(expires);
    await form.getByLabel("/v1/account", { exact: true }).check();
    await form.getByRole("button", { name: "Save changes" }).click();
    await page.getByTestId("limits-saved").waitFor();
    assert.match(await page.getByTestId("limits-saved").textContent(), /qps, burst, expires, endpoints/);
    const account = await api("/v1/account", key);
    assert.equal(account.status, 200);
    assert.equal(account.json.data.rate_limit.qps, 9);
    assert.equal(account.json.data.rate_limit.burst, 12);
    assert.equal(account.json.data.expires_at.slice(0, 10), expires);
    assert.deepEqual(account.json.data.endpoints, ["/v1/account"]);
    assert.equal((await api("/v1/tiktok/trending/music?region=US&period=7", key)).status, 403, "no longer on its endpoint list");
    assert.equal(await form.getByLabel("QPS limit").inputValue(), "9", "the form shows the saved values");
    await checkPage(page, problems, "admin-key-edit");
    // Back to every endpoint and no expiry.
    await form.getByLabel("/v1/account", { exact: true }).uncheck();
    await form.getByLabel("Never expires").check();
    await form.getByRole("button", { name: "Save changes" }).click();
    await page.getByText(/Saved \(expires, endpoints\)/).waitFor();
    const reset = await api("/v1/account", key);
    assert.equal(reset.json.data.expires_at, null);
    assert.equal((await api("/v1/tiktok/trending/music?region=US&period=7", key)).status, 200);

    // Rotation: the new secret shown once, the old one refused from its next request.
    await page.getByRole("button", { name: "Rotate secret" }).click();
    const dialog = page.getByRole("dialog", { name: "Rotate this key's secret?" });
    await dialog.waitFor();
    await checkPage(page, problems, "admin-rotate-confirm");
    await dialog.getByRole("button", { name: "Rotate" }).click();
    const shown = page.getByTestId("rotated-key-value");
    await shown.waitFor();
    const key2 = (await shown.textContent()).trim();
    assert.match(key2, /^sk_live_[0-9A-Za-z]{32,}$/);
    assert.notEqual(key2, key);
    assert.equal((await api("/v1/account", key)).status, 401, "the previous secret is refused");
    const rotated = await api("/v1/account", key2);
    assert.equal(rotated.status, 200);
    assert.equal(rotated.json.data.key_id, keyId);
    assert.equal(rotated.json.data.balance, 48, "same balance (50, less the one paid request)");
    await checkPage(page, problems, "admin-key-rotated");
    await page.reload();
    await page.getByRole("heading", { name: "Edit limits" }).waitFor();
    assert.ok(!(await page.content()).includes(key2), "shown once");
    assert.deepEqual(problems, []);
    await context.close();
  });

  test("ingest status and service health", async () => {
    const { context, page, problems } = await newPage();
    await signIn(page, "operator", service.adminToken);
    await page.getByRole("link", { name: "Ingest" }).click();
    await page.getByText("Latest closed day").waitFor();
    const yesterday = new Date(Date.now() - 86400e3).toISOString().slice(0, 10);
    const stats = await page.locator(".stat").allTextContents();
    assert.ok(stats.some((t) => t.startsWith("Data up to") && t.includes(yesterday)), stats.join(" | "));
    assert.ok(stats.some((t) => t.startsWith("Charts published for") && /\d{4}-\d\d-\d\d/.test(t)), stats.join(" | "));
    await checkPage(page, problems, "admin-ingest");
    await page.getByRole("link", { name: "Health" }).click();
    await page.getByRole("heading", { name: "Last 60 seconds" }).waitFor();
    const health = await page.locator("section", { hasText: "Last 60 seconds" }).locator(".stat").allTextContents();
    assert.ok(health.some((t) => /^Requests per second\d/.test(t)), health.join(" | "));
    assert.ok(health.some((t) => /^p99 latency(≤ [\d.]+ ms|—|> 2.5 s)$/.test(t)), health.join(" | "));
    await checkPage(page, problems, "admin-health");
    await context.close();
  });
});

describe("security", () => {
  test("a customer session cannot reach operator pages or APIs; a missing CSRF token is refused", async () => {
    const { context, page } = await newPage();
    await signIn(page, "customer", service.demoKey);
    await page.goto(`${service.base}/dashboard/admin/keys`);
    await page.waitForURL(/\/overview$/);
    const codes = await page.evaluate(async () => {
      const get = (await fetch("/dashboard/api/admin/keys")).status;
      const post = (await fetch("/dashboard/api/admin/keys", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" })).status;
      const signOutNoCsrf = (await fetch("/dashboard/api/session", { method: "DELETE" })).status;
      return { get, post, signOutNoCsrf };
    });
    assert.deepEqual(codes, { get: 403, post: 403, signOutNoCsrf: 403 });
    // Still signed in: the refused sign-out did nothing.
    assert.equal(await page.evaluate(async () => (await fetch("/dashboard/api/session")).status), 200);
    await context.close();

    const op = await newPage();
    await signIn(op.page, "operator", service.adminToken);
    const csrf = await op.page.evaluate(async () => {
      const body = JSON.stringify({ name: "csrf probe" });
      const headers = { "Content-Type": "application/json" };
      const missing = (await fetch("/dashboard/api/admin/keys", { method: "POST", headers, body })).status;
      const wrong = (await fetch("/dashboard/api/admin/keys", { method: "POST", headers: { ...headers, "X-CSRF-Token": "x".repeat(43) }, body })).status;
      return { missing, wrong };
    });
    assert.deepEqual(csrf, { missing: 403, wrong: 403 });
    await op.context.close();
  });

  test("no session without a valid secret", async () => {
    const { context, page } = await newPage();
    await page.goto(`${service.base}/dashboard/`);
    await page.getByLabel("API key").fill("sk_live_thisisnotakeythisisnotakeythisisnot");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").getByText(/not valid/).waitFor();
    assert.equal((await context.cookies()).filter((c) => c.name === "st_session").length, 0);
    await page.getByRole("tab", { name: "Operator" }).click();
    await page.getByLabel("Admin token").fill(service.demoKey); // a customer key is no admin token
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").getByText(/not valid/).waitFor();
    assert.equal((await context.cookies()).filter((c) => c.name === "st_session").length, 0);
    await context.close();
  });

  test("the CSP header is on every page", async () => {
    const pages = ["/dashboard/", "/dashboard/overview", "/dashboard/charts?region=US", "/dashboard/sounds/1?region=US&period=7", "/dashboard/admin/keys", "/dashboard/admin/keys/key_x", "/docs"];
    for (const p of pages) {
      const r = await fetch(service.base + p);
      const csp = r.headers.get("content-security-policy") ?? "";
      assert.equal(r.status, 200, p);
      assert.match(csp, /script-src 'self'/, p);
      assert.match(csp, /style-src 'self'/, p);
      assert.ok(!csp.includes("unsafe-inline"), p);
      assert.match(csp, /frame-ancestors 'none'/, p);
    }
  });
});

describe("docs", () => {
  test("/docs renders every operation with curl, Python and JavaScript and a sample for every status", async () => {
    const doc = await (await fetch(`${service.base}/openapi.json`)).json();
    const { context, page, problems } = await newPage();
    await page.goto(`${service.base}/docs`);
    await page.locator("section.operation").first().waitFor();
    // Every operation, every language tab and every status: checked inside the page (each
    // tab clicked, then read after the next frame), one round trip instead of hundreds.
    const ops = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (!["get", "post", "put", "patch", "delete"].includes(method)) continue;
        const statuses = Object.keys(op.responses).map((status) => {
          const r = op.responses[status].$ref ? doc.components.responses[op.responses[status].$ref.split("/").pop()] : op.responses[status];
          return { status, hasContent: Object.keys(r.content ?? {}).length > 0 };
        });
        ops.push({ method, path, statuses });
      }
    }
    const operations = ops.length;
    const failures = await page.evaluate(async (ops) => {
      const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
      const out = [];
      const sections = [...document.querySelectorAll("section.operation")];
      for (const op of ops) {
        const name = `${op.method} ${op.path}`;
        const found = sections.filter((s) => s.querySelector("h3 code")?.textContent === op.path && s.querySelector(`h3 .method.${op.method}`));
        if (found.length !== 1) {
          out.push(`${name}: ${found.length} sections`);
          continue;
        }
        const section = found[0];
        for (const lang of ["curl", "Python", "JavaScript"]) {
          const tab = [...section.querySelectorAll('[role="tab"]')].find((t) => t.textContent === lang);
          if (!tab) {
            out.push(`${name}: no ${lang} tab`);
            continue;
          }
          tab.click();
          await frame();
          if (tab.getAttribute("aria-selected") !== "true") out.push(`${name}: ${lang} tab not selected`);
          const code = section.querySelector("pre.code[data-lang]")?.textContent ?? "";
          if (!code.includes(op.path.split("{")[0])) out.push(`${name} ${lang}: the sample does not name the path`);
        }
        for (const { status, hasContent } of op.statuses) {
          const response = section.querySelectorAll(`details.response[data-status="${status}"]`);
          if (response.length !== 1) out.push(`${name} ${status}: ${response.length} responses`);
          else if (hasContent && response[0].querySelectorAll("pre.sample").length !== 1) out.push(`${name} ${status}: no sample`);
        }
      }
      return out;
    }, ops);
    assert.deepEqual(failures, []);
    // And one tab switched the way a user does it (a click Playwright checks is actionable).
    const first = page.locator("section.operation").first();
    await first.getByRole("tab", { name: "Python", exact: true }).click();
    assert.equal(await first.locator("pre.code[data-lang]").getAttribute("data-lang"), "python");
    assert.ok(operations >= 10);
    await page.getByRole("navigation", { name: "Endpoints" }).getByRole("link").first().waitFor();
    // The reference is ~36,000 px tall: a whole-page screenshot costs seconds and megabytes
    // each (axe still checks the whole page).
    await checkPage(page, problems, "docs", { fullPage: false });
    await page.setViewportSize({ width: 375, height: 812 });
    await checkPage(page, problems, "docs", { fullPage: false });
    await context.close();
  });
});
