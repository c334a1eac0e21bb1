// The browser tests' and the figures script's world: a real soundtrend server with seeded
// demo data, started on a free port in a temporary directory, and Debian's Chromium driven
// by playwright-core (no browser download). Everything started here is stopped by stop().
//
// Environment: SOUNDTREND_BINARY (required), SOUNDTREND_WEB_DIR (default: ../../dist),
// CHROMIUM (default /usr/bin/chromium), SCREENSHOT_DIR (default: a temporary directory),
// DEMO_SOUNDS / DEMO_DAYS / DEMO_SEED (the demo platform; defaults below).
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));

export const config = {
  binary: process.env.SOUNDTREND_BINARY ?? "",
  webDir: resolve(process.env.SOUNDTREND_WEB_DIR ?? join(here, "..", "..", "dist")),
  chromium: process.env.CHROMIUM ?? "/usr/bin/chromium",
  sounds: process.env.DEMO_SOUNDS ?? "3000",
  days: process.env.DEMO_DAYS ?? "40",
  seed: process.env.DEMO_SEED ?? "42",
};

export function screenshotDir() {
  const dir = process.env.SCREENSHOT_DIR ?? mkdtempSync(join(tmpdir(), "st-screens-"));
  mkdirSync(dir, { recursive: true });
  return dir;
}

function st(db, args) {
  return execFileSync(config.binary, ["--db", db, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function yesterday() {
  return new Date(Date.now() - 86400e3).toISOString().slice(0, 10);
}

// Starts soundtrend with demo data; resolves { base, adminToken, demoKey, demoKeyId, stop }.
export async function startService() {
  if (!config.binary || !existsSync(config.binary)) throw new Error(`SOUNDTREND_BINARY not found: '${config.binary}'`);
  if (!existsSync(join(config.webDir, "index.html"))) throw new Error(`no web build in ${config.webDir} (npm run build)`);
  const dir = mkdtempSync(join(tmpdir(), "st-browser-"));
  const db = join(dir, "soundtrend.db");
  const started = Date.now();
  st(db, ["demo", "--out", join(dir, "demo"), "--seed", config.seed, "--sounds", config.sounds, "--days", config.days, "--end-day", yesterday()]);
  st(db, ["ingest", join(dir, "demo", "catalog.ndjson"), join(dir, "demo", "daily.csv.gz"), join(dir, "demo", "uses.ndjson.gz")]);
  st(db, ["build"]);
  const demoKey = st(db, ["keys", "create", "--name", "demo customer", "--credits", "1000000", "--qps", "50"]).split("\n")[0].trim();
  if (!demoKey.startsWith("sk_live_")) throw new Error(`keys create printed no key: ${demoKey}`);
  const adminToken = `admin-${randomBytes(18).toString("hex")}`;
  const proc = spawn(
    config.binary,
    ["--db", db, "--log-level", "warn", "serve", "--host", "127.0.0.1", "--port", "0", "--threads", "2", "--web-dir", config.webDir],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, SOUNDTREND_ADMIN_TOKEN: adminToken } },
  );
  let stderr = "";
  proc.stderr.on("data", (d) => {
    stderr += d;
    if (stderr.length > 1 << 20) stderr = stderr.slice(-(1 << 19));
  });
  const base = await new Promise((resolveBase, reject) => {
    let out = "";
    const fail = (why) => reject(new Error(`serve did not start: ${why}\n${stderr}`));
    proc.on("exit", (code) => fail(`exited with ${code}`));
    proc.stdout.on("data", (d) => {
      out += d;
      const line = out.split("\n").find((l) => l.startsWith("listening on "));
      if (line) resolveBase(line.slice("listening on ".length).trim());
    });
  });
  proc.removeAllListeners("exit");
  const keyId = (await (await fetch(`${base}/v1/account`, { headers: { Authorization: `Bearer ${demoKey}` } })).json()).data.key_id;
  const setupSeconds = (Date.now() - started) / 1000;
  const stop = async () => {
    if (proc.exitCode === null) {
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { base, adminToken, demoKey, demoKeyId: keyId, dir, stop, setupSeconds, log: () => stderr };
}

// Debian's Chromium, headless, with the flags this machine needs (no background network).
export async function launchBrowser() {
  return chromium.launch({
    executablePath: config.chromium,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-default-apps",
      "--disable-extensions",
    ],
  });
}

let axeSource = null;
// Runs axe-core in the page; returns the serious and critical violations.
export async function seriousViolations(page) {
  if (axeSource === null) {
    axeSource = readFileSync(join(here, "..", "..", "node_modules", "axe-core", "axe.min.js"), "utf8");
  }
  // Evaluated through the DevTools protocol (not a <script> element), so the page's CSP,
  // which allows no inline script, stays exactly as served.
  const hasAxe = await page.evaluate(() => typeof window.axe !== "undefined");
  if (!hasAxe) await page.evaluate(axeSource);
  const results = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
    }));
  });
  return results.filter((v) => v.impact === "serious" || v.impact === "critical");
}

// Collects what must never happen on a page: CSP violations, uncaught errors, console
// errors, and answers of the server that the page did not expect: any 5xx, and any 4xx but
// the 401 of "who am I?" before signing in. (Chromium logs every failed load to the
// console as well; those lines are left to the network check. Sound covers point at the
// platform's CDN, which this closed network cannot reach.)
export function watchPage(page, base) {
  const problems = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    const text = m.text();
    if (/^Failed to load resource/.test(text)) return;
    problems.push(`console: ${text}`);
  });
  page.on("response", (r) => {
    const url = r.url();
    if (base && !url.startsWith(base)) return;
    const status = r.status();
    if (status < 400) return;
    if (status === 401 && new URL(url).pathname === "/dashboard/api/session" && r.request().method() === "GET") return;
    problems.push(`http ${status} ${r.request().method()} ${url}`);
  });
  return problems;
}

export async function watchCsp(page) {
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (e) => {
      window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
}

export async function cspViolations(page) {
  return page.evaluate(() => window.__cspViolations ?? []);
}
