// Walks of the flow state machine through the JS surface, with a scripted
// face SDK and merchant server.
import assert from "node:assert/strict";
import { test } from "node:test";

import { errors, wx } from "./helpers.mjs";

const NOW = 1700000000;
const OK = '{"return_code":"SUCCESS","return_msg":"SUCCESS"}';
const IDENTITY = { name: "张*三", credential_type: 1, credential_id: "110***********002X" };
const CONFIG = { appid: "wx2421b1c4370ec43b", mch_id: "1900000109", store_id: "HOSP-01" };

/** A face SDK and merchant server of a normal day; `over` replaces answers by kind. */
function script(over = {}) {
  const normal = {
    initWxpayface: () => OK,
    getWxpayfaceRawdata: () => '{"return_code":"SUCCESS","return_msg":"SUCCESS","rawdata":"RAW"}',
    getWxpayfaceCode: () => '{"return_code":"SUCCESS","return_msg":"SUCCESS","face_sid":"sid-1","openid":"o-1"}',
    consent: () => OK,
    quit: () => OK,
    releaseWxpayface: () => OK,
    authinfo: () => ({ authinfo: "AUTHINFO", expires_in: 7200 }),
    verified: () => ({ already_verified: false }),
    realName: () => ({ identity: IDENTITY, patient_id: "P000123" }),
  };
  return { ...normal, ...over };
}

/**
 * Drives the flow from `first` until `done` (or `ready`/`released`); returns
 * the trace, the steps started, the steps finished (`step:status`) and the
 * last action. Every `step_finished` closes the step started last.
 */
function drive(flow, first, s, now = NOW) {
  const trace = [];
  const steps = [];
  const finished = [];
  let open = null;
  let queue = flow.next(first, now);
  for (;;) {
    assert.ok(queue.length > 0, `stalled in ${flow.state} after ${trace}`);
    const a = queue.shift();
    let ev;
    switch (a.type) {
      case "step_started":
        assert.equal(open, null, `${a.step} starts while ${open} is open`);
        open = a.step;
        steps.push(a.step);
        continue;
      case "step_finished":
        assert.equal(a.step, open);
        assert.ok(["ok", "error", "cancelled"].includes(a.status), a.status);
        assert.equal(a.error !== undefined, a.error?.kind !== undefined);
        open = null;
        finished.push(`${a.step}:${a.status}`);
        continue;
      case "ready":
      case "released":
      case "done":
        assert.equal(queue.length, 0);
        assert.equal(flow.poll(), undefined);
        assert.equal(open, null, "no step is left open");
        return { trace, steps, finished, last: a };
      case "call_sdk": {
        const req = JSON.parse(a.json);
        assert.equal(req.cmd, a.cmd);
        assert.equal(req.version, "1");
        assert.equal(req.now, now);
        const kind = a.cmd === "getWxpayAuth" ? (req.quit_face_auth === "1" ? "quit" : "consent") : a.cmd;
        trace.push(kind);
        const answer = s[kind](req);
        ev =
          typeof answer === "string"
            ? { type: "sdk_answer", id: a.id, json: answer }
            : { type: "sdk_call_failed", id: a.id, error: answer };
        break;
      }
      case "fetch_authinfo":
        trace.push(a.refresh ? "fetch_authinfo(refresh)" : "fetch_authinfo");
        assert.equal(a.rawdata, "RAW");
        assert.equal(typeof a.refresh, "boolean");
        ev = { type: "authinfo", id: a.id, ...s.authinfo() };
        break;
      case "check_verified":
        trace.push("check_verified");
        assert.deepEqual(a.who, { face_sid: "sid-1", openid: "o-1", sub_openid: null });
        ev = { type: "verified_checked", id: a.id, ...s.verified(a.who) };
        break;
      case "fetch_real_name":
        trace.push("fetch_real_name");
        assert.equal(a.face_sid, "sid-1");
        ev = { type: "real_name", id: a.id, ...s.realName() };
        break;
      default:
        assert.fail(`unknown action ${JSON.stringify(a)}`);
    }
    queue = queue.concat(flow.next(ev, now));
  }
}

function ready(config = CONFIG, s = script()) {
  const flow = new wx.Flow(config);
  assert.equal(flow.state, "uninitialised");
  const { trace, last } = drive(flow, { type: "start" }, s);
  assert.deepEqual(trace, ["initWxpayface"]);
  assert.equal(last.type, "ready");
  assert.equal(flow.state, "ready");
  return flow;
}

test("verified: consent, then the masked identity", () => {
  const flow = ready();
  const { trace, steps, finished, last } = drive(flow, { type: "begin" }, script());
  assert.deepEqual(trace, [
    "getWxpayfaceRawdata",
    "fetch_authinfo",
    "getWxpayfaceCode",
    "check_verified",
    "consent",
    "fetch_real_name",
  ]);
  assert.deepEqual(steps, [
    "reading_rawdata",
    "fetching_authinfo",
    "recognising",
    "checking_verified",
    "asking_consent",
    "fetching_real_name",
  ]);
  assert.deepEqual(
    finished,
    steps.map((s) => `${s}:ok`),
  );
  assert.deepEqual(last, {
    type: "done",
    outcome: "verified",
    who: { face_sid: "sid-1", openid: "o-1", sub_openid: null },
    identity: IDENTITY,
  });
  assert.equal(flow.authinfoExpiresAt, NOW + 7200);
  assert.equal(flow.inProgress, false);

  // The next patient reuses the cached authinfo…
  assert.equal(drive(flow, { type: "begin" }, script()).trace[0], "getWxpayfaceCode");
  // …until it is dropped.
  flow.invalidateAuthinfo();
  assert.equal(flow.authinfoExpiresAt, undefined);
  assert.equal(drive(flow, { type: "begin" }, script()).trace[0], "getWxpayfaceRawdata");
});

test("already verified: the SDK is told to quit", () => {
  const flow = ready();
  let quitRequest;
  const s = script({
    verified: () => ({ already_verified: true }),
    quit: (req) => {
      quitRequest = req;
      return OK;
    },
  });
  const { trace, last } = drive(flow, { type: "begin" }, s);
  assert.deepEqual(trace, ["getWxpayfaceRawdata", "fetch_authinfo", "getWxpayfaceCode", "check_verified", "quit"]);
  assert.equal(quitRequest.quit_face_auth, "1");
  assert.equal(quitRequest.face_sid, "sid-1");
  assert.equal(quitRequest.authinfo, "AUTHINFO");
  assert.deepEqual(last, {
    type: "done",
    outcome: "already_verified",
    who: { face_sid: "sid-1", openid: "o-1", sub_openid: null },
  });
});

test("already verified before SDK 1.20: no quit call exists", () => {
  const flow = ready({ ...CONFIG, sdk_version: "1.16" });
  const { trace, last } = drive(flow, { type: "begin" }, script({ verified: () => ({ already_verified: true }) }));
  assert.equal(trace.at(-1), "check_verified");
  assert.equal(last.outcome, "already_verified");
});

test("refused: no identity is fetched", () => {
  const flow = ready();
  const s = script({
    consent: () => '{"return_code":"ERROR","return_msg":"用户拒绝授权","err_code":"ACTION_ON_USER_QUERY_CANCEL"}',
  });
  const { trace, finished, last } = drive(flow, { type: "begin" }, s);
  assert.ok(!trace.includes("fetch_real_name"));
  assert.equal(finished.at(-1), "asking_consent:error", "the refusal is the SDK's error answer");
  assert.deepEqual(last, {
    type: "done",
    outcome: "consent_refused",
    who: { face_sid: "sid-1", openid: "o-1", sub_openid: null },
  });
});

test("authinfo expired (271382020): refreshed once, then verified", () => {
  const flow = ready();
  let calls = 0;
  const s = script({
    getWxpayfaceCode: () =>
      calls++ === 0
        ? '{"return_code":"ERROR","return_msg":"授权请求信息不存在或者已过期","err_code":271382020}'
        : '{"return_code":"SUCCESS","return_msg":"SUCCESS","face_sid":"sid-1","openid":"o-1"}',
  });
  const { trace, last } = drive(flow, { type: "begin" }, s);
  assert.deepEqual(trace, [
    "getWxpayfaceRawdata",
    "fetch_authinfo",
    "getWxpayfaceCode",
    "getWxpayfaceRawdata",
    "fetch_authinfo(refresh)",
    "getWxpayfaceCode",
    "check_verified",
    "consent",
    "fetch_real_name",
  ]);
  assert.equal(last.outcome, "verified");
});

test("authinfo expired twice: the failure is reported, not retried forever", () => {
  const flow = ready();
  const s = script({
    getWxpayfaceCode: () => '{"return_code":"ERROR","return_msg":"授权请求信息不存在或者已过期","err_code":271382020}',
  });
  const { trace, last } = drive(flow, { type: "begin" }, s);
  assert.equal(trace.filter((t) => t === "getWxpayfaceCode").length, 2);
  assert.equal(last.outcome, "failed");
  assert.equal(last.step, "recognising");
  assert.equal(last.error.kind, "sdk");
  assert.equal(last.error.cmd, "getWxpayfaceCode");
  assert.equal(wx.classify(last.error), "authinfo_expired");
  assert.equal(flow.authinfoExpiresAt, undefined, "the stale authinfo is dropped");
});

test("failures: a dead SDK bridge and a merchant server error", () => {
  const flow = ready();
  let r = drive(flow, { type: "begin" }, script({ getWxpayfaceRawdata: () => ({ message: "ECONNREFUSED" }) }));
  assert.equal(r.last.outcome, "failed");
  assert.equal(r.last.step, "reading_rawdata");
  assert.equal(r.last.error.code, "sdk");
  assert.equal(r.last.error.cmd, "getWxpayfaceRawdata");
  assert.equal(r.last.error.return_code, "CALL_FAILED");

  const s = script();
  s.authinfo = () => {
    throw new Error("unused");
  };
  const flow2 = ready();
  const first = flow2.next({ type: "begin" }, NOW);
  const raw = first.find((a) => a.type === "call_sdk");
  const fetch = flow2.next({ type: "sdk_answer", id: raw.id, json: s.getWxpayfaceRawdata() }, NOW).find(
    (a) => a.type === "fetch_authinfo",
  );
  const fin = flow2.next(
    { type: "backend_failed", id: fetch.id, error: { status: 500, code: "SYSTEM_ERROR", message: "系统繁忙" } },
    NOW,
  );
  const done = fin.find((a) => a.type === "done");
  assert.deepEqual(fin.slice(0, -1), [
    { type: "step_finished", step: "fetching_authinfo", status: "error", error: done.error },
  ]);
  assert.equal(done.outcome, "failed");
  assert.equal(done.step, "fetching_authinfo");
  assert.equal(done.error.kind, "backend");
  assert.equal(done.error.wechat_code, "SYSTEM_ERROR");
  assert.equal(done.error.status, 500);
  assert.equal(done.error.retryable, true);
});

test("failures as the driver has them: an error record, a caught WxfaceError, a JS Error", () => {
  const failAt = (error) => {
    const flow = ready();
    const raw = flow.next({ type: "begin" }, NOW).find((a) => a.type === "call_sdk");
    const fetch = flow.next({ type: "sdk_answer", id: raw.id, json: script().getWxpayfaceRawdata() }, NOW).find(
      (a) => a.type === "fetch_authinfo",
    );
    return flow.next({ type: "backend_failed", id: fetch.id, error }, NOW).at(-1);
  };
  // The merchant server's error body (the core's error record).
  let done = failAt({ code: "transport", kind: "transport", message: "transport (timeout): no answer", retryable: true, transport_kind: "timeout" });
  assert.equal(done.error.code, "transport");
  assert.equal(done.error.transport_kind, "timeout");
  assert.equal(done.error.retryable, true);
  // A WxfaceError the driver caught: its record is used.
  done = failAt(errors.fromInfo({ code: "backend", message: "x", status: 503, wechat_code: "SYSTEM_ERROR" }));
  assert.equal(done.error.wechat_code, "SYSTEM_ERROR");
  assert.equal(done.error.status, 503);
  // Another JS Error: a transport failure with its message.
  done = failAt(new TypeError("Failed to fetch"));
  assert.equal(done.error.kind, "transport");
  assert.match(done.error.message, /Failed to fetch/);
  // No description at all.
  done = failAt(undefined);
  assert.equal(done.error.kind, "transport");
});

test("cancel while recognising: the SDK is told to quit, then cancelled", () => {
  const flow = ready();
  const first = flow.next({ type: "begin" }, NOW);
  const raw = first.find((a) => a.type === "call_sdk");
  const fetch = flow.next({ type: "sdk_answer", id: raw.id, json: script().getWxpayfaceRawdata() }, NOW).find(
    (a) => a.type === "fetch_authinfo",
  );
  const code = flow.next({ type: "authinfo", id: fetch.id, authinfo: "AUTHINFO", expires_at: NOW + 3600 }, NOW).find(
    (a) => a.type === "call_sdk",
  );
  assert.equal(flow.inProgress, true);
  assert.equal(flow.pending, code.id);
  assert.deepEqual(flow.next({ type: "cancel" }, NOW), []);
  const answered = flow.next({ type: "sdk_answer", id: code.id, json: script().getWxpayfaceCode() }, NOW);
  assert.deepEqual(answered.slice(0, 2), [
    { type: "step_finished", step: "recognising", status: "cancelled" },
    { type: "step_started", step: "quitting" },
  ]);
  const quit = answered.find((a) => a.type === "call_sdk");
  assert.equal(JSON.parse(quit.json).quit_face_auth, "1");
  assert.deepEqual(flow.next({ type: "sdk_answer", id: quit.id, json: OK }, NOW), [
    { type: "step_finished", step: "quitting", status: "cancelled" },
    { type: "done", outcome: "cancelled" },
  ]);
});

test("handle/poll, start(), ids and the state guard", () => {
  const flow = new wx.Flow(CONFIG);
  flow.start(NOW);
  assert.deepEqual(flow.poll(), { type: "step_started", step: "initialising" });
  const init = flow.poll();
  assert.equal(init.type, "call_sdk");
  assert.equal(init.cmd, "initWxpayface");
  assert.equal(init.json, `{"cmd":"initWxpayface","version":"1","now":${NOW}}`);
  assert.equal(flow.poll(), undefined);
  assert.equal(flow.state, "expect_init");
  // An answer for another request is refused and changes nothing.
  assert.throws(() => flow.handle(NOW, { type: "sdk_answer", id: init.id + 1, json: OK }), errors.StateError);
  assert.equal(flow.state, "expect_init");
  flow.handle(NOW, { type: "sdk_answer", id: init.id, json: OK });
  assert.deepEqual(flow.poll(), { type: "step_finished", step: "initialising", status: "ok" });
  assert.deepEqual(flow.poll(), { type: "ready" });
  assert.throws(() => flow.start(NOW), { name: "StateError", kind: "state", code: "state" });
  // `now` defaults to the JS clock.
  const acts = flow.next({ type: "begin" });
  const req = JSON.parse(acts.find((a) => a.type === "call_sdk").json);
  assert.ok(Math.abs(req.now - Date.now() / 1000) < 5);
  assert.throws(() => flow.next({ type: "begin" }, Date.now()), { kind: "invalid_input", field: "now" });
});

test("shutdown releases the SDK", () => {
  const flow = ready();
  const { trace, last } = drive(flow, { type: "shutdown" }, script());
  assert.deepEqual(trace, ["releaseWxpayface"]);
  assert.deepEqual(last, { type: "released" });
  assert.equal(flow.state, "released");
  assert.throws(() => flow.next({ type: "begin" }, NOW), errors.StateError);
  flow.free();
});

test("a failed release is reported, released all the same", () => {
  const flow = ready();
  const { finished, last } = drive(flow, { type: "shutdown" }, script({ releaseWxpayface: () => ({ message: "bridge down" }) }));
  assert.deepEqual(finished, ["releasing:error"]);
  assert.equal(last.type, "released");
  assert.equal(last.error.kind, "sdk");
  assert.equal(last.error.cmd, "releaseWxpayface", "the flow names the command");
  assert.equal(last.error.return_code, "CALL_FAILED");
  assert.equal(flow.state, "released");
});

test("a late recognition answer: its face session is ended, then ready again", () => {
  const flow = ready();
  const request = wx.buildSdkRequest({ cmd: "getWxpayfaceCode", ...CONFIG, authinfo: "AUTHINFO" }, "1.24", NOW);
  const json = '{"return_code":"SUCCESS","return_msg":"SUCCESS","face_sid":"sid-late"}';
  const { trace, finished, last } = drive(flow, { type: "late_sdk_answer", request, json }, script());
  assert.deepEqual(trace, ["quit"]);
  assert.deepEqual(finished, ["quitting:ok"]);
  assert.equal(last.type, "ready");
  assert.equal(flow.state, "ready");
});
