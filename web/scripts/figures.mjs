// Figures of the dashboard (issue 14), printed, not asserted: a benchmark, not a test.
//   1. JavaScript and CSS transferred for the first page (/dashboard/, the sign-in page), and
//      for the charts page after signing in, with gzip (Chromium's own Accept-Encoding), cold
//      cache. Goal: under 150 KB.
//   2. Time from navigation to the first rendered chart on loopback: a signed-in browser opens
//      /dashboard/charts?region=US&period=7 (a new context each run: cold cache) and the time
//      is the page's performance mark set when the chart table with its sparklines is in the
//      DOM (relative to navigation start). Goal: under 1 s. RUNS runs (default 15).
//
// Usage: SOUNDTREND_BINARY=build/release/src/app/soundtrend node web/scripts/figures.mjs
// (the same environment as the browser tests: SOUNDTREND_WEB_DIR, CHROMIUM, DEMO_*).
import { execFileSync } from "node:child_process";
import { launchBrowser, startService } from "../tests/browser/harness.mjs";

const runs = Number(process.env.RUNS ?? "15");

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

// Bytes on the wire (encoded: gzip when the server compressed) of every script and
// stylesheet the page loads until the network is idle.
async function transferred(context, url, before) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  const types = new Map();
  const sizes = { js: 0, css: 0, jsDecoded: 0, cssDecoded: 0, files: [] };
  cdp.on("Network.responseReceived", (e) => {
    if (e.type === "Script" || e.type === "Stylesheet") {
      types.set(e.requestId, { type: e.type, url: e.response.url, encoding: e.response.headers["content-encoding"] ?? e.response.headers["Content-Encoding"] ?? "identity" });
    }
  });
  cdp.on("Network.dataReceived", (e) => {
    const t = types.get(e.requestId);
    if (t) t.decoded = (t.decoded ?? 0) + e.dataLength;
  });
  cdp.on("Network.loadingFinished", (e) => {
    const t = types.get(e.requestId);
    if (!t) return;
    if (t.type === "Script") {
      sizes.js += e.encodedDataLength;
      sizes.jsDecoded += t.decoded ?? 0;
    } else {
      sizes.css += e.encodedDataLength;
      sizes.cssDecoded += t.decoded ?? 0;
    }
    sizes.files.push(`${t.url.split("/").pop()} ${e.encodedDataLength} B (${t.encoding})`);
  });
  if (before) await before(page);
  await page.goto(url, { waitUntil: "networkidle" });
  await page.close();
  return sizes;
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

const service = await startService();
const browser = await launchBrowser();
try {
  console.log(`uptime: ${execFileSync("uptime", { encoding: "utf8" }).trim()}`);
  console.log(`server ${service.base}; demo data ready in ${service.setupSeconds.toFixed(1)} s`);

  const cold = await browser.newContext();
  const first = await transferred(cold, `${service.base}/dashboard/`);
  console.log(`first page (/dashboard/, sign-in): JS ${kb(first.js)} + CSS ${kb(first.css)} = ${kb(first.js + first.css)} transferred (decoded ${kb(first.jsDecoded + first.cssDecoded)}); goal < 150 KB`);
  console.log(`  files: ${first.files.join(", ")}`);
  await cold.close();

  // Sign in once; every later context starts with that session cookie only (no cache).
  const signer = await browser.newContext();
  const p = await signer.newPage();
  await p.goto(`${service.base}/dashboard/`);
  await p.getByLabel("API key").fill(service.demoKey);
  await p.getByRole("button", { name: "Sign in" }).click();
  await p.waitForURL(/overview$/);
  const state = await signer.storageState();
  await signer.close();

  const chartsUrl = `${service.base}/dashboard/charts?region=US&period=7`;
  const signed = await browser.newContext({ storageState: state });
  const charts = await transferred(signed, chartsUrl);
  console.log(`charts page, signed in, cold cache: JS ${kb(charts.js)} + CSS ${kb(charts.css)} = ${kb(charts.js + charts.css)} transferred`);
  await signed.close();

  const times = [];
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext({ storageState: state });
    const page = await context.newPage();
    await page.goto(chartsUrl);
    await page.waitForFunction(() => performance.getEntriesByName("st:chart:table").length > 0 && document.querySelectorAll("table.chart-table svg.sparkline").length >= 20);
    const ms = await page.evaluate(() => performance.getEntriesByName("st:chart:table")[0].startTime);
    times.push(ms);
    await context.close();
  }
  console.log(`navigation to the first rendered chart (US, 7 days, 20 rows with sparklines), ${runs} cold runs: median ${median(times).toFixed(0)} ms, min ${Math.min(...times).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms; goal < 1000 ms`);
  console.log(`uptime: ${execFileSync("uptime", { encoding: "utf8" }).trim()}`);
} finally {
  await browser.close();
  await service.stop();
}
