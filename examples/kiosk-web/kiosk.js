// A browser kiosk for face real-name authentication, driven by the WASM flow
// machine of @wxface/wasm.
//
// The machine decides; this page only performs what it asks:
//   call_sdk         → POST /sdk (the face SDK service over HTTP), answer JSON back
//   fetch_authinfo   → POST /kiosk/authinfo      (merchant server)
//   check_verified   → POST /kiosk/verified      (merchant server)
//   fetch_real_name  → POST /kiosk/real-name     (merchant server; masked data only)
// and shows each step. The merchant requests and answers are the Rust core's
// (merchantRequest / merchantAnswer / merchantFailure of @wxface/wasm): the
// page only does the fetch, so the error body, the masked-identity check and
// the authinfo expiry are those of every other wxface kiosk. The page never
// sees a full name or credential number. Nothing personal is written to the
// console or the log.
//
// Its one secret is the kiosk's device credential (`wxfd1.…`, issued by the
// hospital's IT with `wxface merchant devices add`), sent as
// `Authorization: Bearer …` with every merchant request. It is provisioned
// once by opening the page as `/?device_credential=wxfd1.…`: the page keeps
// it in localStorage and removes it from the address bar at once. It is
// never logged nor shown.
import init, { Flow, credentialLabel, merchantAnswer, merchantFailure, merchantRequest, version } from "./wxface/wxface_wasm.js";

const $ = (id) => document.getElementById(id);
const now = () => Math.floor(Date.now() / 1000);

const DEFAULTS = {
  hospital: "医院自助服务",
  appid: "wx00000000sandbox1",
  mch_id: "1900000001",
  store_id: "HOSPITAL-OPD-01",
  device_id: "EMU-DEVICE-01",
  sdk_version: "1.24",
};

/** What the screen says during each step of the flow. */
const STEPS = {
  initialising: { phase: null, title: "正在启动刷脸设备", subtitle: "请稍候…" },
  reading_rawdata: { phase: "prepare", title: "正在准备刷脸", subtitle: "请站在屏幕正前方" },
  fetching_authinfo: { phase: "prepare", title: "正在准备刷脸", subtitle: "正在获取刷脸授权…" },
  recognising: { phase: "recognise", title: "请看摄像头", subtitle: "正在识别，请保持面部在取景框内" },
  checking_verified: { phase: "recognise", title: "识别成功", subtitle: "正在核对实名记录…" },
  asking_consent: { phase: "consent", title: "请在屏幕上确认授权", subtitle: "授权后医院将获取您的实名信息用于建档" },
  quitting: { phase: "done", title: "正在完成", subtitle: "请稍候…" },
  fetching_real_name: { phase: "fetch", title: "授权成功", subtitle: "正在获取实名信息…" },
  releasing: { phase: null, title: "正在关闭刷脸设备", subtitle: "" },
};

/** What the screen says at the end, by outcome. */
const OUTCOMES = {
  verified: { view: "success", title: "认证成功", subtitle: "已为您完成实名建档，请核对以下信息" },
  already_verified: { view: "success", title: "您已完成实名认证", subtitle: "医院已有您的实名记录，无需重复认证" },
  consent_refused: { view: "refused", title: "您已拒绝授权", subtitle: "未获取任何实名信息。如需建档，请重新认证或前往人工窗口" },
  cancelled: { view: "cancelled", title: "已取消刷脸认证", subtitle: "如需办理，请重新开始" },
  failed: { view: "failed", title: "认证未完成", subtitle: "请重试，或前往人工窗口办理" },
};

const PHASES = ["prepare", "recognise", "consent", "fetch", "done"];

let flow;
let config;
let lastPatientId = null;
/** The device credential (`wxfd1.…`), or null: kept out of `config`. */
let deviceCredential = null;

/** localStorage key of the device credential. */
const CREDENTIAL_KEY = "wxface.device_credential";
/** Query-string (and config.json) key of the device credential. */
const CREDENTIAL_PARAM = "device_credential";

// ---------------------------------------------------------------- screen --

function show(view, title, subtitle) {
  $("stage").dataset.view = view;
  $("title").textContent = title;
  $("subtitle").textContent = subtitle ?? "";
}

/** Marks the progress bar up to phase `p` (`complete`: all done; null: none). */
function phase(p) {
  const at = p === "complete" ? PHASES.length : PHASES.indexOf(p);
  for (const li of $("progress").children) {
    const i = PHASES.indexOf(li.dataset.phase);
    li.className = at < 0 ? "" : i < at ? "done" : i === at ? "current" : "";
  }
}

function buttons({ start, cancel, again }) {
  $("start").disabled = !start;
  $("start").hidden = Boolean(again || cancel);
  $("cancel").hidden = !cancel;
  $("again").hidden = !again;
}

function deviceState(state, text) {
  const el = $("sdk-state");
  el.dataset.state = state;
  el.textContent = text;
  el.className = `pill ${state === "ready" ? "pill-ok" : state === "error" ? "pill-bad" : "pill-wait"}`;
}

/** One line of the development log: step and request names only, never data. */
function log(text) {
  const li = document.createElement("li");
  li.textContent = `${new Date().toLocaleTimeString("zh-CN", { hour12: false })}  ${text}`;
  $("log").append(li);
  $("log").scrollTop = $("log").scrollHeight;
}

function showIdentity(identity) {
  const box = $("identity");
  if (!identity) {
    box.hidden = true;
    for (const id of ["id-name", "id-type", "id-number", "id-patient"]) $(id).textContent = "";
    return;
  }
  $("id-name").textContent = identity.name;
  $("id-type").textContent = credentialLabel(identity.credential_type);
  $("id-number").textContent = identity.credential_id;
  $("id-patient").textContent = lastPatientId ?? "—";
  box.hidden = false;
}

// ------------------------------------------------------------- transport --

/** How long one merchant request may take, milliseconds. */
const MERCHANT_TIMEOUT_MS = 30000;
/**
 * Longest `Retry-After` of an HTTP 429 (the merchant server's rate limit)
 * waited out, seconds: once, then the request is sent once more. A longer
 * delay, or a second 429, is passed on (as capture's HttpMerchantBackend does).
 */
const MAX_RETRY_AFTER_S = 5;

/**
 * A short label of an error record ({code, kind, message, retryable,
 * wechat_code, status, transport_kind, …}) for the screen: WeChat's or the
 * SDK's own code when there is one, else the kind of transport failure, else
 * the stable code.
 */
function errorLabel(e) {
  if (!e) return "";
  if (e.return_code) return e.return_code;
  if (e.wechat_code) return e.wechat_code;
  if (e.transport_kind) return `${e.code}:${e.transport_kind}`;
  return e.code ?? "";
}

/** JSON POST for the dev panel (not the kiosk API). */
async function postJson(path, body) {
  const r = await fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!r.ok) throw Object.assign(new Error(`HTTP ${r.status}`), { status: r.status });
  return r.json();
}

/** `Retry-After` in whole seconds, or null (the HTTP-date form is not used by the kiosk API). */
function retryAfter(r) {
  const v = r.headers.get("retry-after");
  return v !== null && /^\s*\d+\s*$/.test(v) ? Number(v) : null;
}

/** Whether `ev` is the failure of the merchant server's own rate limit (429). */
function rateLimited(ev) {
  return ev.type === "backend_failed" && ev.error?.code === "transport" && ev.error?.transport_kind === "rate_limited";
}

/**
 * One POST of merchant request `req` for action `a`; resolves to
 * `{event, wait}`: the event that answers `a` (decoded by the core) and the
 * answer's `Retry-After` in seconds, if any.
 */
async function postOnce(a, req) {
  const headers = { "content-type": "application/json" };
  if (deviceCredential) headers.authorization = `Bearer ${deviceCredential}`;
  let r;
  let body;
  try {
    r = await fetch(req.path, {
      method: "POST",
      headers,
      body: req.body,
      signal: AbortSignal.timeout(MERCHANT_TIMEOUT_MS),
    });
  } catch (e) {
    const kind = e?.name === "TimeoutError" ? "timeout" : e?.name === "TypeError" ? "connect" : "other";
    return { event: merchantFailure(a, kind, `POST ${req.path}: no answer (${e?.name ?? "error"})`), wait: null };
  }
  try {
    body = await r.text();
  } catch (e) {
    const kind = e?.name === "TimeoutError" ? "timeout" : "interrupted";
    return { event: merchantFailure(a, kind, `POST ${req.path}: the answer was cut off`), wait: null };
  }
  return { event: merchantAnswer(a, r.status, body, now()), wait: retryAfter(r) };
}

/**
 * Performs merchant request action `a` (fetch_authinfo, check_verified,
 * fetch_real_name) and resolves to the event that answers it, decoded by the
 * core: an answer event, or backend_failed with the error record. A 429 of
 * the server's rate limit with a `Retry-After` of at most
 * MAX_RETRY_AFTER_S is waited out once and the request sent once more.
 */
async function merchant(a) {
  const req = merchantRequest(a, config.device_id, config.store_id);
  const first = await postOnce(a, req);
  if (!rateLimited(first.event) || first.wait === null || first.wait > MAX_RETRY_AFTER_S) return first.event;
  log(`← 医院服务器 繁忙，${first.wait} 秒后重试`);
  await new Promise((ok) => setTimeout(ok, first.wait * 1000));
  return (await postOnce(a, req)).event;
}

/** Logs a merchant answer event: request names and outcomes only, never data. */
function logAnswer(ev, ok) {
  if (ev.type === "backend_failed") log(`← 医院服务器 失败 (${errorLabel(ev.error)})`);
  else log(ok(ev));
  return ev;
}

/** Performs one request action; resolves to the event that answers it. */
async function perform(a) {
  switch (a.type) {
    case "call_sdk": {
      log(`→ 刷脸服务 ${a.cmd}`);
      try {
        const r = await fetch("/sdk", {
          method: "POST",
          headers: { "content-type": "application/json; charset=utf-8" },
          body: a.json,
        });
        const json = await r.text();
        if (!r.ok) {
          log(`← 刷脸服务 HTTP ${r.status}`);
          return { type: "sdk_call_failed", id: a.id, error: { code: "CALL_FAILED", message: `bridge answered HTTP ${r.status}` } };
        }
        const code = /"return_code"\s*:\s*"([A-Z_]+)"/.exec(json)?.[1] ?? "?";
        log(`← 刷脸服务 ${code}`);
        return { type: "sdk_answer", id: a.id, json };
      } catch (e) {
        log("← 刷脸服务不可用");
        return { type: "sdk_call_failed", id: a.id, error: { code: "CALL_FAILED", message: String(e.message ?? e) } };
      }
    }
    case "fetch_authinfo":
      log(a.refresh ? "→ 医院服务器 重新获取授权（原授权已过期）" : "→ 医院服务器 获取授权");
      return logAnswer(await merchant(a), () => "← 医院服务器 授权有效");
    case "check_verified":
      log("→ 医院服务器 核对实名记录");
      return logAnswer(await merchant(a), (ev) => `← 医院服务器 ${ev.already_verified ? "已有实名记录" : "尚无实名记录"}`);
    case "fetch_real_name": {
      log("→ 医院服务器 获取实名信息");
      const ev = await merchant(a);
      if (ev.type === "real_name") lastPatientId = ev.patient_id ?? null;
      return logAnswer(ev, () => "← 医院服务器 已获取（脱敏）");
    }
    default:
      throw new Error(`not a request action: ${a.type}`);
  }
}

// ------------------------------------------------------------------ flow --

/** Feeds one event and performs every action it produced. */
function feed(event) {
  let actions;
  try {
    actions = flow.next(event, now());
  } catch (e) {
    // A late answer after a cancel carries an id the machine no longer waits for.
    log(`忽略：${e.name} ${e.code}`);
    return;
  }
  for (const a of actions) {
    switch (a.type) {
      case "step_started": {
        const s = STEPS[a.step];
        log(`步骤 ${a.step}`);
        if (a.step === "initialising" || a.step === "releasing") {
          deviceState("starting", s.title);
          break;
        }
        show(`step-${a.step}`, s.title, s.subtitle);
        if (s.phase) phase(s.phase);
        break;
      }
      case "step_finished":
        // Only what did not go well: `error` (the core's error record) says why.
        if (a.status !== "ok") log(`步骤 ${a.step} ${a.status}${a.error ? ` (${errorLabel(a.error)})` : ""}`);
        break;
      case "ready":
        log("刷脸设备就绪");
        deviceState("ready", "设备就绪");
        buttons({ start: true });
        break;
      case "done":
        finish(a);
        break;
      case "released":
        if (a.error) log(`刷脸设备关闭失败 (${errorLabel(a.error)})`);
        deviceState("error", "设备已关闭");
        buttons({});
        break;
      default:
        perform(a).then(feed);
    }
  }
}

function finish(done) {
  const o = OUTCOMES[done.outcome] ?? OUTCOMES.failed;
  log(`结束 ${done.outcome}${done.error ? ` (${errorLabel(done.error)})` : ""}`);
  $("stage").dataset.error = done.error?.code ?? "";
  if (done.outcome === "failed" && flow.state === "uninitialised") {
    // The face SDK did not start.
    deviceState("error", "设备未就绪");
    show("failed", "刷脸设备未就绪", "请联系工作人员");
    $("subtitle").dataset.code = done.error?.code ?? "";
    buttons({ again: false });
    return;
  }
  if (done.outcome === "failed" && done.error?.code === "unauthenticated") {
    // The merchant server does not know this kiosk (no credential, or one
    // that is wrong or revoked): nothing a patient can do; IT must issue one.
    log("本机未授权：设备凭证缺失、无效或已吊销，请联系信息科");
    show("failed", "本机未授权", `请联系信息科为本机配置设备凭证（错误码：${done.error.code}）`);
    $("stage").dataset.outcome = done.outcome;
    phase(null);
    showIdentity(null);
    buttons({ again: true });
    return;
  }
  let subtitle = o.subtitle;
  if (done.outcome === "failed" && done.error) {
    subtitle += `（错误码：${errorLabel(done.error)}${done.error.retryable ? "，可稍后重试" : ""}）`;
  }
  show(o.view, o.title, subtitle);
  $("stage").dataset.outcome = done.outcome;
  phase(done.outcome === "verified" || done.outcome === "already_verified" ? "complete" : null);
  showIdentity(done.outcome === "verified" ? done.identity : null);
  buttons({ again: true });
}

function begin() {
  lastPatientId = null;
  delete $("stage").dataset.outcome;
  delete $("stage").dataset.error;
  showIdentity(null);
  buttons({ cancel: true });
  feed({ type: "begin" });
}

function home() {
  delete $("stage").dataset.outcome;
  delete $("stage").dataset.error;
  showIdentity(null);
  phase(null);
  show("idle", "欢迎使用刷脸实名认证", "请点击下方按钮开始");
  buttons({ start: flow.state === "ready" });
}

// ------------------------------------------------------------ dev panel --

async function setScenario() {
  const outcome = document.querySelector('input[name="outcome"]:checked').value;
  const already = $("already").checked;
  const status = $("dev-status");
  status.dataset.ready = "false";
  try {
    await postJson("/_dev/scenario", { outcome, already_verified: already });
    const names = { consent: "同意授权", refuse: "拒绝授权", cancel: "取消刷脸" };
    status.textContent = `模拟场景：${names[outcome]}${already ? "，已实名用户" : ""}`;
    status.dataset.scenario = `${outcome}${already ? "+already" : ""}`;
    status.dataset.ready = "true";
  } catch (e) {
    status.textContent = `无法设置模拟场景（${e.status ?? e.message}）`;
  }
}

// ------------------------------------------------------------------ main --

/** Whether `text` can be a device credential in an HTTP header (visible ASCII, no spaces). */
function headerSafe(text) {
  return /^[\x21-\x7e]+$/.test(text);
}

/**
 * A device credential given in the address (`?device_credential=wxfd1.…`):
 * removed from the address bar at once (history.replaceState, so it stays
 * in neither the address nor the back history), kept in localStorage for
 * the next loads. An empty `?device_credential=` forgets the kept one.
 * Returns the credential given, "" when emptied, or null when none was.
 */
function takeCredentialFromAddress() {
  const url = new URL(location.href);
  if (!url.searchParams.has(CREDENTIAL_PARAM)) return null;
  const given = url.searchParams.get(CREDENTIAL_PARAM).trim();
  url.searchParams.delete(CREDENTIAL_PARAM);
  history.replaceState(history.state, "", `${url.pathname}${url.search}${url.hash}`);
  try {
    if (given === "") localStorage.removeItem(CREDENTIAL_KEY);
    else if (headerSafe(given)) localStorage.setItem(CREDENTIAL_KEY, given);
  } catch {
    log("无法保存设备凭证（浏览器存储不可用）：仅本次有效");
  }
  return given;
}

/** The credential kept in localStorage, or null. */
function storedCredential() {
  try {
    return localStorage.getItem(CREDENTIAL_KEY);
  } catch {
    return null;
  }
}

async function loadConfig(fromAddress) {
  let file = {};
  try {
    const r = await fetch("config.json", { cache: "no-store" });
    if (r.ok) file = await r.json();
  } catch {
    // Defaults then.
  }
  const q = Object.fromEntries(new URLSearchParams(location.search));
  const merged = { ...DEFAULTS, ...file, ...q };
  // The credential: the one just given in the address, else the one kept
  // from an earlier load, else config.json's. It is kept out of `config`.
  const credential = (fromAddress || null) ?? storedCredential() ?? merged[CREDENTIAL_PARAM] ?? null;
  delete merged[CREDENTIAL_PARAM];
  if (!credential) {
    deviceCredential = null;
    log("未配置设备凭证：请联系信息科");
  } else if (!headerSafe(credential)) {
    deviceCredential = null;
    log("设备凭证格式无效：请联系信息科");
  } else {
    deviceCredential = credential;
  }
  return merged;
}

async function main() {
  // Before anything else: the address must not keep a credential.
  const fromAddress = takeCredentialFromAddress();
  config = await loadConfig(fromAddress);
  await init();
  $("hospital").textContent = config.hospital;
  $("device").textContent = `${config.device_id} · wxface ${version()}`;
  flow = new Flow({
    appid: config.appid,
    mch_id: config.mch_id,
    store_id: config.store_id,
    sdk_version: config.sdk_version,
  });
  $("start").addEventListener("click", begin);
  $("cancel").addEventListener("click", () => {
    log("用户取消");
    $("cancel").hidden = true;
    feed({ type: "cancel" });
  });
  $("again").addEventListener("click", home);
  if (config.dev === "1" || config.dev === true) {
    $("dev").hidden = false;
    for (const el of document.querySelectorAll('#dev input')) el.addEventListener("change", setScenario);
    await setScenario();
  }
  window.addEventListener("pagehide", () => {
    if (flow.state === "ready") feed({ type: "shutdown" });
  });
  feed({ type: "start" });
}

main().catch((e) => {
  deviceState("error", "启动失败");
  show("failed", "自助机启动失败", `请联系工作人员（${e.name ?? "Error"}）`);
  console.error("kiosk start failed:", e.name, e.code ?? "", e.message);
});
