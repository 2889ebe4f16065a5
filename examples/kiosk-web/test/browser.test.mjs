// The browser kiosk in headless Chromium, against `wxface dev-server` (the
// face SDK bridge, the merchant endpoints and this directory, served on
// loopback): a patient is verified, refuses, is already verified, cancels.
// Screenshots go to test/artifacts/.
//
// The server binary is WXFACE_BIN, else target/release/wxface, else
// target/debug/wxface (under CARGO_TARGET_DIR when set).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

const HERE = dirname(fileURLToPath(import.meta.url));
const KIOSK = resolve(HERE, "..");
const ROOT = resolve(KIOSK, "..", "..");
const ARTIFACTS = join(HERE, "artifacts");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
// The fictitious persons of the sandbox: none of these may ever reach the screen.
const FULL_NAMES = ["测试患者甲", "测试患者乙", "测试患者丙", "测试·长名患者·丁戊己庚辛", "测试患者戊"];
const FULL_ID = /\d{17}[\dXx]/;

function serverBinary() {
  if (process.env.WXFACE_BIN) return process.env.WXFACE_BIN;
  const target = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(ROOT, "target");
  for (const profile of ["release", "debug"]) {
    const p = join(target, profile, "wxface");
    if (existsSync(p)) return p;
  }
  throw new Error("no wxface binary: run `cargo build -p wxface-cli` first");
}

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.on("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

let server;
let serverLog = "";
let browser;
let profile;
let base;

async function waitForServer(url, ms) {
  const until = Date.now() + ms;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`dev-server exited (${server.exitCode}):\n${serverLog}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      // not yet
    }
    if (Date.now() > until) throw new Error(`dev-server did not answer within ${ms} ms:\n${serverLog}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  assert.ok(existsSync(join(KIOSK, "wxface", "wxface_wasm_bg.wasm")), "run wasm/build.sh first (it stages the web build)");
  assert.ok(existsSync(CHROMIUM), `Chromium is required at ${CHROMIUM} (Debian package chromium)`);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(serverBinary(), ["dev-server", "--static", KIOSK, "--port", String(port)], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  server.stdout.on("data", (d) => (serverLog += d));
  server.stderr.on("data", (d) => (serverLog += d));
  await waitForServer(`${base}/`, 60_000);
  profile = mkdtempSync(join(tmpdir(), "kiosk-web-chromium-"));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    locale: "zh-CN",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    server.kill("SIGTERM");
    await new Promise((r) => {
      const t = setTimeout(() => {
        server.kill("SIGKILL");
        r();
      }, 5000);
      server.once("exit", () => {
        clearTimeout(t);
        r();
      });
    });
  }
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/** Everything a person could read on the page, and what went to the console. */
async function visibleText(page) {
  return page.evaluate(() => document.body.innerText);
}

async function openKiosk() {
  const page = await browser.newPage();
  const consoleLines = [];
  const offsite = [];
  page.on("console", (m) => consoleLines.push(m.text()));
  page.on("pageerror", (e) => consoleLines.push(`pageerror: ${e.message}`));
  page.on("request", (r) => {
    if (!r.url().startsWith(base)) offsite.push(r.url());
  });
  await page.goto(`${base}/?dev=1`);
  // Every title the screen shows, however briefly.
  await page.evaluate(() => {
    window.__titles = [];
    const t = document.getElementById("title");
    new MutationObserver(() => window.__titles.push(t.textContent)).observe(t, { childList: true, characterData: true, subtree: true });
  });
  await page.waitForSelector('#sdk-state[data-state="ready"]', { timeout: 30_000 });
  return { page, consoleLines, offsite };
}

async function scenario(page, outcome, already) {
  await page.check(`input[name="outcome"][value="${outcome}"]`);
  if (already) await page.check("#already");
  else await page.uncheck("#already");
  const want = `${outcome}${already ? "+already" : ""}`;
  await page.waitForSelector(`#dev-status[data-ready="true"][data-scenario="${want}"]`, { timeout: 10_000 });
}

async function run(page) {
  await page.evaluate(() => (window.__titles = []));
  await page.click("#start");
  await page.waitForSelector("#stage[data-outcome]", { timeout: 60_000 });
  return {
    outcome: await page.getAttribute("#stage", "data-outcome"),
    title: await page.textContent("#title"),
    subtitle: await page.textContent("#subtitle"),
    titles: await page.evaluate(() => window.__titles),
    identityShown: await page.isVisible("#identity"),
  };
}

async function home(page) {
  await page.click("#again");
  await page.waitForSelector('#stage[data-view="idle"]');
}

function noPersonalData(text, where) {
  for (const n of FULL_NAMES) assert.ok(!text.includes(n), `${where} shows a full name`);
  assert.doesNotMatch(text, FULL_ID, `${where} shows a full credential number`);
}

test("a patient is verified, refuses, is already verified, cancels", async () => {
  const { page, consoleLines, offsite } = await openKiosk();
  assert.equal(await page.textContent("h1"), "刷脸实名认证");

  // Verified: consent, then the masked identity.
  await scenario(page, "consent", false);
  let r = await run(page);
  assert.equal(r.outcome, "verified", `${r.title} ${r.subtitle}`);
  assert.equal(r.title, "认证成功");
  for (const step of ["请看摄像头", "请在屏幕上确认授权"]) assert.ok(r.titles.includes(step), `showed ${step}: ${r.titles}`);
  assert.ok(r.identityShown);
  const name = await page.textContent("#id-name");
  const number = await page.textContent("#id-number");
  assert.match(name, /^\S\*+\S?$/u, `masked name: ${name}`);
  assert.match(number, /^\w{3}\*+\w{4}$/, `masked number: ${number}`);
  assert.equal(await page.textContent("#id-type"), "身份证");
  noPersonalData(await visibleText(page), "the verified screen");
  await page.screenshot({ path: join(ARTIFACTS, "verified.png"), fullPage: true });
  await home(page);
  assert.equal(await page.isVisible("#identity"), false, "the identity is cleared for the next patient");

  // Refused: no identity is fetched or shown.
  await scenario(page, "refuse", false);
  r = await run(page);
  assert.equal(r.outcome, "consent_refused", `${r.title} ${r.subtitle}`);
  assert.equal(r.title, "您已拒绝授权");
  assert.ok(r.titles.includes("请在屏幕上确认授权"));
  assert.equal(r.identityShown, false);
  await page.screenshot({ path: join(ARTIFACTS, "refused.png"), fullPage: true });
  await home(page);

  // Already verified: the SDK is told to quit, no consent is asked.
  await scenario(page, "consent", true);
  r = await run(page);
  assert.equal(r.outcome, "already_verified", `${r.title} ${r.subtitle}`);
  assert.equal(r.title, "您已完成实名认证");
  assert.ok(!r.titles.includes("请在屏幕上确认授权"), `no consent asked: ${r.titles}`);
  assert.equal(r.identityShown, false);
  await page.screenshot({ path: join(ARTIFACTS, "already-verified.png"), fullPage: true });
  await home(page);

  // Cancelled on the face screen.
  await scenario(page, "cancel", false);
  r = await run(page);
  assert.equal(r.outcome, "cancelled", `${r.title} ${r.subtitle}`);
  assert.equal(r.title, "已取消刷脸认证");
  await home(page);

  // And verified again with the cached authinfo.
  await scenario(page, "consent", false);
  r = await run(page);
  assert.equal(r.outcome, "verified", `${r.title} ${r.subtitle}`);

  const log = await page.textContent("#log");
  noPersonalData(log, "the development log");
  noPersonalData(consoleLines.join("\n"), "the console");
  assert.deepEqual(
    consoleLines.filter((l) => /error/i.test(l)),
    [],
    "no errors in the console",
  );
  assert.deepEqual(offsite, [], "the kiosk talks only to its own server");
  await page.close();
});
