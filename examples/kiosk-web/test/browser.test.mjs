// The browser kiosk in headless Chromium, against `wxface dev-server` (the
// face SDK bridge, the merchant endpoints and this directory, served on
// loopback): a patient is verified, refuses, is already verified (both ways
// recognition answers), cancels; a kiosk without a device credential is
// refused; the credential given once in the address is kept and leaves the
// address; a 429's Retry-After is waited out once. Screenshots go to
// test/artifacts/.
//
// The device credential is the one the dev server prints on its second line
// of standard output (`device credential EMU-DEVICE-01: wxfd1.…`).
//
// The server binary is WXFACE_BIN, else target/release/wxface, else
// target/debug/wxface (under CARGO_TARGET_DIR when set).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { createServer } from "node:net";
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
let serverStdout = "";
let browser;
let base;
/** The device credential the dev server issued for this run. */
let credential;
let deviceId;

/** Text of the server's output for a failure message, its credential left out. */
function redacted(text) {
  return text.replace(/wxfd1\.\S+/g, "wxfd1.…");
}

/** The device credential of the dev server's second line of standard output. */
async function waitForCredential(ms) {
  const until = Date.now() + ms;
  for (;;) {
    const lines = serverStdout.split("\n");
    if (lines.length > 2) {
      assert.match(lines[0], /^listening on http:\/\//, "line 1: listening on");
      const m = /^device credential (\S+): (wxfd1\.\S+)$/.exec(lines[1]);
      assert.ok(m, `line 2 names the device credential: ${redacted(lines[1])}`);
      return { deviceId: m[1], credential: m[2] };
    }
    if (server.exitCode !== null) throw new Error(`dev-server exited (${server.exitCode}):\n${redacted(serverLog)}`);
    if (Date.now() > until) throw new Error(`dev-server printed no credential within ${ms} ms:\n${redacted(serverLog)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function waitForServer(url, ms) {
  const until = Date.now() + ms;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`dev-server exited (${server.exitCode}):\n${redacted(serverLog)}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      // not yet
    }
    if (Date.now() > until) throw new Error(`dev-server did not answer within ${ms} ms:\n${redacted(serverLog)}`);
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
  server.stdout.on("data", (d) => {
    serverStdout += d;
    serverLog += d;
  });
  server.stderr.on("data", (d) => (serverLog += d));
  await waitForServer(`${base}/`, 60_000);
  ({ credential, deviceId } = await waitForCredential(10_000));
  assert.equal(deviceId, "EMU-DEVICE-01", "the device of config.json");
  // One browser; every test opens its own context (its own localStorage).
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
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
});

/** Everything a person could read on the page, and what went to the console. */
async function visibleText(page) {
  return page.evaluate(() => document.body.innerText);
}

/** A fresh browser context: no localStorage, no history. */
async function freshContext() {
  return browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "zh-CN" });
}

/**
 * Opens the kiosk in `context` at `/?dev=1` plus `query`; resolves once its
 * face SDK is ready, with what it printed, what it asked of other hosts, and
 * every kiosk API request it made ({path, authorization, body, status}).
 */
async function openKiosk(context, query = "") {
  const page = await context.newPage();
  const consoleLines = [];
  const offsite = [];
  const kiosk = [];
  page.on("console", (m) => consoleLines.push(m.text()));
  page.on("pageerror", (e) => consoleLines.push(`pageerror: ${e.message}`));
  page.on("request", (r) => {
    if (!r.url().startsWith(base)) offsite.push(r.url());
    const path = new URL(r.url()).pathname;
    if (path.startsWith("/kiosk/")) {
      const entry = { path, at: Date.now(), body: r.postData(), status: null, authorization: undefined };
      kiosk.push(entry);
      entry.headers = r.allHeaders().then((h) => (entry.authorization = h.authorization ?? null));
      entry.done = r.response().then((resp) => {
        entry.status = resp?.status() ?? null;
        entry.answeredAt = Date.now();
      });
    }
  });
  await page.goto(`${base}/?dev=1${query}`);
  await watchTitles(page);
  await page.waitForSelector('#sdk-state[data-state="ready"]', { timeout: 30_000 });
  /** The kiosk API requests so far, their headers and statuses known. */
  const requests = async () => {
    await Promise.all(kiosk.flatMap((e) => [e.headers, e.done]));
    return kiosk.map(({ path, at, answeredAt, body, status, authorization }) => ({ path, at, answeredAt, body, status, authorization }));
  };
  return { page, consoleLines, offsite, requests };
}

/** Every title the screen shows, however briefly. */
async function watchTitles(page) {
  await page.evaluate(() => {
    window.__titles = [];
    const t = document.getElementById("title");
    new MutationObserver(() => window.__titles.push(t.textContent)).observe(t, { childList: true, characterData: true, subtree: true });
  });
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

/** The device credential is nowhere a person or a log could read it. */
async function noCredential(page, consoleLines) {
  const secret = credential.split(".")[2];
  const places = {
    "the address": page.url(),
    "the page": await page.evaluate(() => document.documentElement.outerHTML),
    "the screen": await visibleText(page),
    "the console": consoleLines.join("\n"),
  };
  for (const [where, text] of Object.entries(places)) {
    assert.ok(!text.includes(secret), `${where} holds the device credential`);
    assert.doesNotMatch(text, /wxfd1\./, `${where} holds a device credential`);
  }
}

/** Every kiosk API request carried the device credential. */
function allAuthenticated(requests) {
  assert.ok(requests.length > 0, "kiosk API requests were made");
  for (const r of requests) assert.equal(r.authorization, `Bearer ${credential}`, `${r.path} carries the credential`);
}

/** The dev server's scenario: POST `change` (if any), answer the scenario in force. */
async function devScenario(change) {
  const r = change
    ? await fetch(`${base}/_dev/scenario`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(change) })
    : await fetch(`${base}/_dev/scenario`);
  assert.equal(r.status, 200);
  return r.json();
}

test("a patient is verified, refuses, is already verified, cancels", async () => {
  const context = await freshContext();
  const { page, consoleLines, offsite, requests } = await openKiosk(context, `&device_credential=${encodeURIComponent(credential)}`);
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
  const sent = await requests();
  allAuthenticated(sent);
  for (const path of ["/kiosk/authinfo", "/kiosk/verified", "/kiosk/real-name"]) {
    assert.ok(sent.some((r) => r.path === path && r.status === 200), `${path} answered`);
  }
  await noCredential(page, consoleLines);
  await context.close();
});

test("without a device credential the kiosk is refused and says so", async () => {
  // A fresh context: nothing kept from an earlier load.
  const context = await freshContext();
  const { page, consoleLines, requests } = await openKiosk(context);
  assert.equal(await page.evaluate(() => localStorage.length), 0, "nothing in localStorage");
  await scenario(page, "consent", false);
  let r = await run(page);
  assert.equal(r.outcome, "failed", `${r.title} ${r.subtitle}`);
  assert.equal(r.title, "本机未授权");
  assert.match(r.subtitle, /请联系信息科/);
  assert.match(r.subtitle, /unauthenticated/, "the code, for the technician");
  assert.equal(await page.getAttribute("#stage", "data-error"), "unauthenticated");
  assert.ok(!r.titles.includes("请看摄像头"), `no face recognition without the merchant server: ${r.titles}`);
  assert.equal(r.identityShown, false);
  const screen = await visibleText(page);
  assert.doesNotMatch(screen, /Error|at \S+ \(|\.js:\d+/, "no error name or stack on screen");
  await page.screenshot({ path: join(ARTIFACTS, "unauthenticated.png"), fullPage: true });
  let sent = await requests();
  // The merchant server refused the first request (authinfo) before reading
  // it: no recognition followed, and no identity was asked for (no
  // /kiosk/verified, no /kiosk/real-name: the only way to the sandbox's
  // identity query).
  assert.deepEqual(
    sent.map((q) => [q.path, q.status, q.authorization]),
    [["/kiosk/authinfo", 401, null]],
  );
  assert.match(await page.textContent("#log"), /未配置设备凭证/);
  // (Closed first: a closing page releases the one emulated face SDK.)
  await page.close();

  // A credential of the right form that the server never issued: refused alike.
  const [prefix, keyId, secret] = credential.split(".");
  const forged = `${prefix}.${keyId}.${secret.slice(0, -1)}${secret.endsWith("A") ? "B" : "A"}`;
  const other = await openKiosk(context, `&device_credential=${encodeURIComponent(forged)}`);
  await scenario(other.page, "consent", false);
  r = await run(other.page);
  assert.equal(r.outcome, "failed", `${r.title} ${r.subtitle}`);
  assert.equal(r.title, "本机未授权", r.subtitle);
  sent = await other.requests();
  assert.deepEqual(
    sent.map((q) => [q.path, q.status, q.authorization]),
    [["/kiosk/authinfo", 401, `Bearer ${forged}`]],
  );
  const shown = [await visibleText(other.page), other.page.url(), other.consoleLines.join("\n")].join("\n");
  assert.ok(!shown.includes(forged.split(".")[2]), "the refused credential is not shown either");
  noPersonalData(shown, "the unauthenticated kiosk");
  assert.deepEqual(
    [...consoleLines, ...other.consoleLines].filter((l) => /error/i.test(l)),
    [],
    "no errors in the console",
  );
  await context.close();
});

test("a credential given once in the address is kept and leaves the address", async () => {
  const context = await freshContext();
  const { page, consoleLines, requests } = await openKiosk(context, `&device_credential=${encodeURIComponent(credential)}&store_id=HOSPITAL-OPD-01`);
  const url = new URL(page.url());
  assert.equal(url.searchParams.has("device_credential"), false, `gone from the address: ${url.search}`);
  assert.equal(url.searchParams.get("dev"), "1", "the other parameters stay");
  assert.equal(url.searchParams.get("store_id"), "HOSPITAL-OPD-01");
  assert.equal(await page.evaluate(() => localStorage.getItem("wxface.device_credential")), credential, "kept in localStorage");
  await noCredential(page, consoleLines);

  // Reloaded: the address holds no credential, localStorage does.
  await page.reload();
  await watchTitles(page);
  await page.waitForSelector('#sdk-state[data-state="ready"]', { timeout: 30_000 });
  assert.equal(new URL(page.url()).searchParams.has("device_credential"), false);
  await scenario(page, "consent", false);
  const r = await run(page);
  assert.equal(r.outcome, "verified", `${r.title} ${r.subtitle}`);
  allAuthenticated(await requests());
  await noCredential(page, consoleLines);
  await page.close();

  // Another page of the same kiosk, opened plainly.
  const again = await openKiosk(context);
  await scenario(again.page, "consent", true);
  assert.equal((await run(again.page)).outcome, "already_verified");
  allAuthenticated(await again.requests());
  await again.page.close();

  // An empty `?device_credential=` forgets it.
  const cleared = await openKiosk(context, "&device_credential=");
  assert.equal(await cleared.page.evaluate(() => localStorage.getItem("wxface.device_credential")), null);
  assert.equal(new URL(cleared.page.url()).searchParams.has("device_credential"), false);
  await scenario(cleared.page, "consent", false);
  const c = await run(cleared.page);
  assert.equal(c.outcome, "failed");
  assert.equal(c.title, "本机未授权");
  assert.deepEqual((await cleared.requests()).map((q) => q.authorization), [null]);
  await context.close();
});

test("already verified, whether recognition answers the openid or the server resolves the face_sid", async () => {
  const context = await freshContext();
  const { page, consoleLines, requests } = await openKiosk(context, `&device_credential=${encodeURIComponent(credential)}`);
  try {
    for (const withOpenid of [false, true]) {
      const now = await devScenario({ openid_with_face_sid: withOpenid });
      assert.equal(now.openid_with_face_sid, withOpenid);
      // The dev panel sets outcome and already_verified only: the toggle stays.
      await scenario(page, "consent", true);
      assert.equal((await devScenario()).openid_with_face_sid, withOpenid);
      const before = (await requests()).length;
      const r = await run(page);
      assert.equal(r.outcome, "already_verified", `openid_with_face_sid ${withOpenid}: ${r.title} ${r.subtitle}`);
      assert.equal(r.title, "您已完成实名认证");
      assert.ok(!r.titles.includes("请在屏幕上确认授权"), `no consent asked: ${r.titles}`);
      assert.equal(r.identityShown, false);
      const sent = (await requests()).slice(before);
      const checks = sent.filter((q) => q.path === "/kiosk/verified");
      assert.equal(checks.length, 1, "one verified check");
      assert.equal(checks[0].status, 200);
      const who = JSON.parse(checks[0].body);
      assert.ok(typeof who.face_sid === "string" && who.face_sid.length > 0, "the face_sid is sent");
      if (withOpenid) assert.ok(typeof who.openid === "string" && who.openid.length > 0, "recognition's openid is sent");
      else assert.equal(who.openid ?? null, null, "no openid: the server resolves the face_sid");
      assert.ok(!sent.some((q) => q.path === "/kiosk/real-name"), "no identity fetched");
      allAuthenticated(sent);
      await page.screenshot({ path: join(ARTIFACTS, `already-verified-openid-${withOpenid}.png`), fullPage: true });
      await home(page);
    }
    noPersonalData(await page.textContent("#log"), "the development log");
    await noCredential(page, consoleLines);
  } finally {
    await devScenario({ openid_with_face_sid: false, already_verified: false });
    await context.close();
  }
});

/** A route handler for the kiosk API `path` that hands the first `n` requests to `first(route, i)`. */
async function interceptFirst(page, path, n, first) {
  let seen = 0;
  await page.route(`${base}${path}`, async (route) => {
    if (seen < n) await first(route, seen++);
    else await route.continue();
  });
}

test("a 429's Retry-After is waited out once when short, else passed on", async () => {
  const context = await freshContext();
  const { page, requests } = await openKiosk(context, `&device_credential=${encodeURIComponent(credential)}`);
  await scenario(page, "consent", false);

  // The server's own limit: the device's bucket is emptied just before the
  // kiosk's verified check reaches the server, which answers 429.
  let limited;
  await interceptFirst(page, "/kiosk/verified", 1, async (route) => {
    for (let i = 0; i < 200; i++) {
      const r = await fetch(`${base}/kiosk/verified`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${credential}` },
        body: "{}",
      });
      const body = await r.text();
      if (r.status === 429) {
        limited = { retryAfter: r.headers.get("retry-after"), body };
        break;
      }
    }
    await route.continue();
  });
  let r = await run(page);
  assert.ok(limited, "the device's bucket ran out");
  assert.ok(Number(limited.retryAfter) >= 1 && Number(limited.retryAfter) <= 5, `a short Retry-After: ${limited.retryAfter}`);
  assert.equal(r.outcome, "verified", `waited out: ${r.title} ${r.subtitle}`);
  let sent = await requests();
  const checks = sent.filter((q) => q.path === "/kiosk/verified");
  assert.equal(checks[0].status, 429, "the first check was refused");
  assert.equal(checks[1].status, 200, "and sent once more");
  assert.ok(checks[1].at - checks[0].answeredAt >= Number(limited.retryAfter) * 1000 - 100, "after the Retry-After");
  assert.match(await page.textContent("#log"), /繁忙/);
  await page.unrouteAll();
  await home(page);

  // The server's 429, with a Retry-After too long for a patient at the screen: passed on at once.
  const answer429 = (retryAfter) => (route) =>
    route.fulfill({ status: 429, headers: { "content-type": "application/json", "retry-after": String(retryAfter) }, body: limited.body });
  let before = sent.length;
  await interceptFirst(page, "/kiosk/verified", 1, answer429(30));
  let started = Date.now();
  r = await run(page);
  assert.equal(r.outcome, "failed", `${r.title} ${r.subtitle}`);
  assert.match(r.subtitle, /transport:rate_limited/);
  assert.match(r.subtitle, /可稍后重试/, "retryable");
  assert.ok(Date.now() - started < 20_000, "not waited");
  sent = (await requests()).slice(before);
  assert.equal(sent.filter((q) => q.path === "/kiosk/verified").length, 1, "not sent again");
  await page.unrouteAll();
  await home(page);

  // Two short 429s in a row: one wait, one retry, then the error.
  before = (await requests()).length;
  await interceptFirst(page, "/kiosk/verified", 2, answer429(1));
  r = await run(page);
  assert.equal(r.outcome, "failed", `${r.title} ${r.subtitle}`);
  assert.match(r.subtitle, /transport:rate_limited/);
  sent = (await requests()).slice(before).filter((q) => q.path === "/kiosk/verified");
  assert.deepEqual(sent.map((q) => q.status), [429, 429], "one retry only");
  assert.ok(sent[1].at - sent[0].answeredAt >= 900, "after the Retry-After");
  await page.unrouteAll();
  await context.close();
});
