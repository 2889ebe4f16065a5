// A name and a resident ID number fed as the value of every field of every
// entry point of the package that parses input — the SDK request builder
// and validator, the answer parser, `classify`, the flow's configuration and
// every field of every flow event: no thrown error (`message`, `String(e)`,
// `util.inspect(e)`, its own properties) and no failed outcome's `error`
// contains either. The one class the package defines, `Flow`, prints no
// `face_sid` or `openid` in the middle of a verification.
//
// The one text an error carries verbatim is a peer's own message
// (`return_msg` of a face SDK answer, `message` of a failure the driver
// reports): those fields are left out, everything else is fed.
import assert from "node:assert/strict";
import { test } from "node:test";
import { inspect } from "node:util";

import { wx } from "./helpers.mjs";

const NAME = "张三丰";
/** The GB 11643 specimen number. */
const ID = "11010519491231002X";
const NUMBER = 110105194912310021;
const STRINGS = [NAME, ID, `${NAME} ${ID}`, `${NAME}\n${ID}`];
const VALUES = [...STRINGS, NUMBER, [NAME, ID], { [NAME]: ID }, true];
const NOW = 1700000000;
const PEER_TEXT = new Set(["message", "return_msg"]);
const OK = '{"return_code":"SUCCESS","return_msg":"SUCCESS"}';
const CONFIG = { appid: "wx2421b1c4370ec43b", mch_id: "1900000109", store_id: "HOSP-01" };
// A masked identity of someone else: the checks look for the values fed.
const IDENTITY = { name: "李*四", credential_type: 1, credential_id: "110***********1234" };

function leaks(text) {
  return (
    text.includes(NAME) ||
    text.includes(ID) ||
    text.includes("19491231") ||
    text.includes("张") ||
    text.includes(String(NUMBER))
  );
}

function errorText(e) {
  if (e === null || typeof e !== "object") return String(e);
  const parts = [String(e), String(e.message), inspect(e, { showHidden: true, depth: 4 })];
  for (const [k, v] of Object.entries(e)) parts.push(`${k}=${inspect(v)}`);
  return parts.join("\n");
}

function sweep() {
  const s = { errors: 0 };
  s.call = (what, fn) => {
    try {
      return fn();
    } catch (e) {
      const text = errorText(e);
      assert.ok(!leaks(text), `${what}: ${text}`);
      s.errors++;
      return undefined;
    }
  };
  return s;
}

const REQUESTS = {
  initWxpayface: { proxy: { ip: "10.0.0.1", port: "8080" }, proxy_type: 1, camera_rotation: 1 },
  getWxpayfaceRawdata: {},
  getWxpayfaceCode: {
    appid: "wx1", mch_id: "1", store_id: "s", authinfo: "a", face_authtype: "FACE_AUTH", sub_appid: "x",
    sub_mch_id: "2", openid: "o", telephone: "13800000000", screen_index: "1", disable_keyboard: true, token: true,
  },
  getWxpayAuth: { authinfo: "a", face_sid: "f", quit: true },
  releaseWxpayface: {},
};

test("the values reach the parsers (controls)", () => {
  const json = wx.buildSdkRequest({ cmd: "getWxpayfaceCode", ...REQUESTS.getWxpayfaceCode, openid: ID }, "1.24", NOW);
  assert.equal(JSON.parse(json).openid, ID);
  const reply = wx.parseSdkResponse("getWxpayfaceCode", JSON.stringify({ return_code: "SUCCESS", face_sid: ID, openid: NAME }));
  assert.equal(reply.face_sid, ID);
  assert.equal(reply.openid, NAME);
  assert.equal(wx.checkResidentId(ID).valid, true);
  assert.ok(leaks(`x${ID}`) && leaks(NAME) && !leaks("110***********002X"));
});

test("SDK request builder and validator, every field", () => {
  const s = sweep();
  for (const [cmd, fields] of Object.entries(REQUESTS)) {
    const base = { cmd, ...fields };
    for (const f of [...Object.keys(base), "ip", "port", "user", "passwd", NAME]) {
      for (const v of VALUES) {
        s.call(`buildSdkRequest ${cmd}.${f}`, () => wx.buildSdkRequest({ ...base, [f]: v }, "1.24", NOW));
        s.call(`validateSdkRequest ${cmd}.${f}`, () => wx.validateSdkRequest({ ...base, [f]: v }, "1.24"));
        s.call(`buildSdkRequest ${cmd}.proxy.${f}`, () =>
          wx.buildSdkRequest({ ...base, proxy: { ip: "10.0.0.1", port: "1", [f]: v } }, "1.24", NOW));
      }
    }
    for (const v of VALUES) {
      s.call(`buildSdkRequest ${cmd} sdkVersion`, () => wx.buildSdkRequest(base, v, NOW));
      s.call(`buildSdkRequest ${cmd} now`, () => wx.buildSdkRequest(base, "1.24", v));
    }
  }
  for (const v of VALUES) s.call("buildSdkRequest(value)", () => wx.buildSdkRequest(v, "1.24", NOW));
  assert.ok(s.errors >= 150, `${s.errors} errors`);
});

test("SDK answer parser and classify, every field", () => {
  const s = sweep();
  const answers = {
    initWxpayface: {},
    getWxpayfaceRawdata: { rawdata: "R" },
    getWxpayfaceCode: { face_sid: "F", openid: "o", sub_openid: "s", telephone_used: "true", face_code: "c" },
    getWxpayAuth: {},
    releaseWxpayface: {},
  };
  for (const [cmd, fields] of Object.entries(answers)) {
    for (const ok of ["SUCCESS", "ERROR"]) {
      const base = { return_code: ok, return_msg: "m", err_code: "E", ...fields };
      for (const f of [...Object.keys(base), NAME]) {
        if (PEER_TEXT.has(f)) continue;
        for (const v of VALUES) {
          const json = JSON.stringify({ ...base, [f]: v });
          s.call(`parseSdkResponse ${cmd}.${f}`, () => wx.parseSdkResponse(cmd, json));
          s.call(`classify ${cmd}.${f}`, () => wx.classify(json));
        }
      }
    }
    for (const v of STRINGS) {
      s.call(`parseSdkResponse ${cmd} text`, () => wx.parseSdkResponse(cmd, v));
      s.call("parseSdkResponse cmd", () => wx.parseSdkResponse(v, OK));
    }
  }
  for (const v of VALUES) {
    for (const f of ["code", "status", "return_code", "err_code", NAME]) {
      const c = s.call(`classify.${f}`, () => wx.classify({ return_code: "ERROR", [f]: v }));
      assert.ok(c === undefined || !leaks(String(c)));
    }
    s.call("classify(value)", () => wx.classify(v));
    for (const f of [wx.checkResidentId, wx.maskName, wx.maskCredentialId, wx.credentialLabel]) {
      const out = s.call(f.name, () => f(v));
      if (f === wx.checkResidentId && out) assert.ok(!leaks(JSON.stringify(out)), JSON.stringify(out));
    }
  }
  for (const bad of [ID.slice(0, -1) + "1", ID.slice(0, 6) + "19491331" + ID.slice(14), ID + "0"]) {
    const out = wx.checkResidentId(bad);
    assert.equal(out.valid, false);
    assert.ok(!leaks(JSON.stringify(out)), JSON.stringify(out));
  }
  assert.ok(s.errors >= 200, `${s.errors} errors`);
});

test("flow configuration, every field", () => {
  const s = sweep();
  for (const v of VALUES) {
    for (const f of [
      "appid", "mch_id", "store_id", "sdk_version", "sub_appid", "sub_mch_id", "screen_index",
      "disable_keyboard", "init", "authinfo_margin_secs", NAME,
    ]) {
      s.call(`Flow.${f}`, () => new wx.Flow({ ...CONFIG, [f]: v }));
    }
    for (const f of ["proxy", "proxy_type", "camera_rotation", NAME]) {
      s.call(`Flow.init.${f}`, () => new wx.Flow({ ...CONFIG, init: { [f]: v } }));
    }
    for (const f of ["ip", "port", "user", "passwd"]) {
      s.call(`Flow.init.proxy.${f}`, () => new wx.Flow({ ...CONFIG, init: { proxy: { ip: "10.0.0.1", port: "1", [f]: v } } }));
    }
    s.call("Flow(value)", () => new wx.Flow(v));
  }
  assert.ok(s.errors >= 100, `${s.errors} errors`);
});

/** A normal day's answers of the face SDK and the merchant server. */
function answer(a) {
  switch (a.type) {
    case "call_sdk":
      if (a.cmd === "getWxpayfaceRawdata") return { type: "sdk_answer", id: a.id, json: '{"return_code":"SUCCESS","rawdata":"RAW"}' };
      if (a.cmd === "getWxpayfaceCode")
        return { type: "sdk_answer", id: a.id, json: '{"return_code":"SUCCESS","face_sid":"sid-secret-1","openid":"o-secret-1"}' };
      return { type: "sdk_answer", id: a.id, json: OK };
    case "fetch_authinfo":
      return { type: "authinfo", id: a.id, authinfo: "AUTHINFO", expires_in: 7200 };
    case "check_verified":
      return { type: "verified_checked", id: a.id, already_verified: false };
    case "fetch_real_name":
      return { type: "real_name", id: a.id, identity: IDENTITY };
    default:
      return undefined;
  }
}

/**
 * One patient through a fresh flow; at the first action of kind `at`
 * (`call_sdk:<cmd>`, `fetch_authinfo`, …) the driver answers `replace(a)`
 * instead. Returns the `done` action, or the error `next` threw.
 */
function drive(at, replace, onEachAction = () => {}) {
  const flow = new wx.Flow(CONFIG);
  let queue = flow.next({ type: "start" }, NOW);
  let began = false;
  for (let guard = 0; guard < 50; guard++) {
    const a = queue.shift();
    if (a === undefined) break;
    onEachAction(flow, a);
    if (a.type === "done") return { done: a, flow };
    if (a.type === "ready" && !began) {
      began = true;
      queue = queue.concat(flow.next({ type: "begin" }, NOW));
      continue;
    }
    const kind = a.type === "call_sdk" ? `call_sdk:${a.cmd}` : a.type;
    const ev = kind === at ? replace(a) : answer(a);
    if (ev === undefined) continue;
    try {
      queue = queue.concat(flow.next(ev, NOW));
    } catch (e) {
      return { thrown: e, flow };
    }
  }
  return { flow };
}

test("every field of every flow event, at the point the flow waits for it", () => {
  const s = sweep();
  let failed = 0;
  const points = {
    "call_sdk:getWxpayfaceRawdata": (a, v) => [
      { type: "sdk_answer", id: a.id, json: JSON.stringify({ return_code: "SUCCESS", rawdata: v }) },
      { type: "sdk_answer", id: a.id, json: typeof v === "string" ? v : JSON.stringify(v) },
      { type: "sdk_call_failed", id: a.id, error: { code: v, status: 500, return_code: v, err_code: v } },
      // A string (or the second item of a list) is the failure's message, the
      // driver's own text: those shapes are left out.
      { type: "sdk_call_failed", id: a.id, error: typeof v === "string" || Array.isArray(v) ? { code: v } : v },
    ],
    "call_sdk:getWxpayfaceCode": (a, v) => [
      { type: "sdk_answer", id: a.id, json: JSON.stringify({ return_code: "SUCCESS", face_sid: v, openid: v, sub_openid: v }) },
      { type: "sdk_answer", id: a.id, json: JSON.stringify({ return_code: v, err_code: v }) },
    ],
    "call_sdk:getWxpayAuth": (a, v) => [
      { type: "sdk_answer", id: a.id, json: JSON.stringify({ return_code: "FAIL", err_code: v }) },
    ],
    fetch_authinfo: (a, v) => [
      { type: "authinfo", id: a.id, authinfo: v, expires_in: 7200 },
      { type: "authinfo", id: a.id, authinfo: "A", expires_in: v },
      { type: "authinfo", id: a.id, authinfo: "A", expires_at: v },
      { type: "backend_failed", id: a.id, error: { code: v, status: v } },
      { type: "backend_failed", id: a.id, error: { code: v, status: 503 } },
    ],
    check_verified: (a, v) => [{ type: "verified_checked", id: a.id, already_verified: v }],
    fetch_real_name: (a, v) => [
      { type: "real_name", id: a.id, identity: v },
      { type: "real_name", id: a.id, identity: { ...IDENTITY, name: v } },
      { type: "real_name", id: a.id, identity: { ...IDENTITY, credential_id: v } },
      { type: "real_name", id: a.id, identity: { ...IDENTITY, credential_type: v } },
      { type: "backend_failed", id: a.id, error: { code: v, status: 400 } },
    ],
  };
  for (const [at, events] of Object.entries(points)) {
    for (const v of VALUES) {
      for (let n = 0; ; n++) {
        let more = false;
        const r = drive(at, (a) => {
          const list = events(a, v);
          more = n + 1 < list.length;
          return list[n];
        });
        if (r.thrown) s.call(`${at}[${n}]`, () => { throw r.thrown; });
        if (r.done) {
          if (r.done.outcome === "failed") failed++;
          const { who, identity, ...rest } = r.done;
          // `who` holds what the SDK answered and `identity` what the merchant
          // server answered, for the app as they came: not an error.
          assert.ok(!leaks(JSON.stringify(rest)), `${at}[${n}]: ${JSON.stringify(rest)}`);
          if (r.done.error) assert.ok(!leaks(errorText(r.done.error)), `${at}[${n}]`);
        }
        if (!more) break;
      }
    }
  }
  // Events that answer nothing the flow asked for.
  const flow = new wx.Flow(CONFIG);
  for (const v of VALUES) {
    for (const type of ["sdk_answer", "sdk_call_failed", "authinfo", "verified_checked", "real_name", "backend_failed", v]) {
      for (const f of ["id", "json", "error", "authinfo", "expires_in", "expires_at", "already_verified", "identity", NAME]) {
        s.call(`handle ${type}.${f}`, () => flow.handle(NOW, { type, id: 1, [f]: v }));
      }
    }
    s.call("handle(now)", () => flow.handle(v, { type: "start" }));
    s.call("handle(value)", () => flow.handle(NOW, v));
  }
  assert.ok(failed >= 20, `${failed} failed outcomes`);
  assert.ok(s.errors >= 300, `${s.errors} errors`);
});

test("a Flow in the middle of a verification prints no face_sid or openid", () => {
  let seen = 0;
  const r = drive(null, () => undefined, (flow, a) => {
    for (const shown of [String(flow), inspect(flow, { showHidden: true, depth: 4 })]) {
      assert.ok(!shown.includes("sid-secret-1") && !shown.includes("o-secret-1"), shown);
    }
    if (a.type === "fetch_real_name") {
      // The action is a plain object for the driver: the face_sid is there.
      assert.equal(a.face_sid, "sid-secret-1");
      seen++;
    }
  });
  assert.equal(seen, 1);
  assert.equal(r.done.outcome, "verified");
});
