// Every export of the Node build: shapes, errors (instances of the generated
// classes of `@wxface/wasm/errors`), and what the package must not contain
// (keys, signing, decryption).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { errors, functionNames, identifiers, PKG, rawWasmPath, ROOT, WASM_DIR, wx } from "./helpers.mjs";

const EXPORTS = [
  "Flow",
  "buildSdkRequest",
  "checkResidentId",
  "classify",
  "credentialLabel",
  "errorCodes",
  "maskCredentialId",
  "maskName",
  "merchantAnswer",
  "merchantFailure",
  "merchantRequest",
  "parseSdkResponse",
  "validateSdkRequest",
  "version",
];

// This package's copy of the core's error codes: a drift here is a change of
// the public error contract and must be made on purpose.
const CODES = [
  "invalid_input",
  "sdk_version",
  "sdk",
  "backend",
  "malformed",
  "signature_missing",
  "signature_unknown_serial",
  "signature_stale_timestamp",
  "signature_mismatch",
  "signature_malformed",
  "decryption",
  "expired",
  "state",
  "config",
  "transport",
  "internal",
  "unauthenticated",
];

const SPECIMEN = "11010519491231002X"; // the specimen number printed in GB 11643-1999

/** Runs `f`, which must throw a package error; returns it. */
function thrown(f) {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof Error, "a JS Error");
    assert.ok(e instanceof errors.WxfaceError, "a WxfaceError");
    assert.equal(e.constructor, errors.KINDS[e.kind], "the class of its kind");
    return e;
  }
  assert.fail("did not throw");
}

test("exports exactly the kiosk surface", () => {
  assert.deepEqual(Object.keys(wx).sort(), EXPORTS);
  for (const name of EXPORTS) assert.equal(typeof wx[name], "function", name);
});

test("version matches the workspace and package.json", () => {
  const cargo = readFileSync(join(ROOT, "Cargo.toml"), "utf8");
  const ws = /\[workspace\.package\][^[]*?version\s*=\s*"([^"]+)"/.exec(cargo)[1];
  assert.equal(wx.version(), ws);
  const pkg = JSON.parse(readFileSync(join(WASM_DIR, "package.json"), "utf8"));
  assert.equal(pkg.name, "@wxface/wasm");
  assert.equal(pkg.version, wx.version());
});

test("errorCodes is the core's list", () => {
  assert.deepEqual(wx.errorCodes(), CODES);
  assert.deepEqual(errors.errorCodes(), CODES, "the generated classes know the same codes");
});

test("@wxface/wasm/errors: the classes of both builds are those the package throws", async () => {
  const pkg = JSON.parse(readFileSync(join(WASM_DIR, "package.json"), "utf8"));
  for (const sub of ["./errors", "./web/errors", "./node/errors"]) assert.ok(pkg.exports[sub], sub);
  for (const d of ["node", "web"]) {
    assert.ok(pkg.exports["./errors"][d === "node" ? "node" : "default"].default.endsWith(`/pkg/${d}/errors.js`));
  }
  // The web build, as a page loads it.
  const web = await import(join(PKG, "web", "wxface_wasm.js"));
  web.initSync({ module: readFileSync(join(PKG, "web", "wxface_wasm_bg.wasm")) });
  const webErrors = await import(join(PKG, "web", "errors.js"));
  for (const [m, cls] of [
    [wx, errors],
    [web, webErrors],
  ]) {
    let e;
    try {
      m.parseSdkResponse("getWxpayAuth", '{"return_code":"ERROR","return_msg":"x","err_code":"ACTION_ON_USER_QUERY_CANCEL"}');
    } catch (err) {
      e = err;
    }
    assert.ok(e instanceof cls.SdkError && e instanceof cls.WxfaceError && e instanceof Error);
    assert.equal(cls.fromInfo(e.info()).constructor, cls.SdkError);
    assert.deepEqual(Object.keys(cls.KINDS).sort(), [...new Set(Object.values(cls.CODES).map((c) => c.kind))].sort());
  }
  assert.notEqual(webErrors.SdkError, errors.SdkError, "two builds, two module instances");
});

test("merchantAnswer: a refused device credential (401) and the server's rate limit (429)", async () => {
  const fetch = { type: "fetch_authinfo", id: 3, rawdata: "RAW", refresh: false };
  // The reference server's 401: its error record as the body.
  const refused = JSON.stringify({
    code: "unauthenticated",
    kind: "unauthenticated",
    message: "unauthenticated: the device credential is not known",
    retryable: false,
  });
  let ev = wx.merchantAnswer(fetch, 401, refused, 1700000000);
  assert.equal(ev.type, "backend_failed");
  assert.equal(ev.id, 3);
  assert.equal(ev.error.code, "unauthenticated");
  assert.equal(ev.error.kind, "unauthenticated");
  assert.equal(ev.error.retryable, false, "no retry lets an unknown kiosk in");
  // UnauthenticatedError, from both builds' `@wxface/wasm/errors`.
  const webErrors = await import(join(PKG, "web", "errors.js"));
  for (const cls of [errors, webErrors]) {
    const e = cls.fromInfo(ev.error);
    assert.ok(e instanceof cls.UnauthenticatedError && e instanceof cls.WxfaceError && e instanceof Error);
    assert.equal(e.name, "UnauthenticatedError");
    assert.equal(cls.KINDS.unauthenticated, cls.UnauthenticatedError);
  }
  // A proxy's own 401/403 without the API's body: not let in either.
  for (const status of [401, 403]) {
    ev = wx.merchantAnswer(fetch, status, "<html>login</html>", 1700000000);
    assert.equal(ev.error.code, "unauthenticated", String(status));
    assert.ok(!JSON.stringify(ev).includes("html"), "the page is not quoted");
  }
  // A flow ends failed with it, at the step that asked.
  const flow = new wx.Flow({ appid: "wx1", mch_id: "1", store_id: "S" });
  const init = flow.next({ type: "start" }, 1700000000).find((a) => a.type === "call_sdk");
  flow.next({ type: "sdk_answer", id: init.id, json: '{"return_code":"SUCCESS","return_msg":"OK"}' }, 1700000000);
  const raw = flow.next({ type: "begin" }, 1700000000).find((a) => a.type === "call_sdk");
  const ask = flow
    .next({ type: "sdk_answer", id: raw.id, json: '{"return_code":"SUCCESS","return_msg":"OK","rawdata":"RAW"}' }, 1700000000)
    .find((a) => a.type === "fetch_authinfo");
  const done = flow.next(wx.merchantAnswer(ask, 401, refused, 1700000000), 1700000000).at(-1);
  assert.equal(done.type, "done");
  assert.equal(done.outcome, "failed");
  assert.equal(done.step, "fetching_authinfo");
  assert.equal(done.error.code, "unauthenticated");

  // 429 of the server's limits: transport, rate_limited, retryable.
  const limited = JSON.stringify({
    code: "transport",
    kind: "transport",
    message: "transport (rate_limited): the merchant server's rate limit: retry after 2 s",
    retryable: true,
    transport_kind: "rate_limited",
  });
  ev = wx.merchantAnswer({ type: "check_verified", id: 4 }, 429, limited, 1700000000);
  assert.equal(ev.type, "backend_failed");
  assert.equal(ev.error.code, "transport");
  assert.equal(ev.error.transport_kind, "rate_limited");
  assert.equal(ev.error.retryable, true);
});

test("maskName and maskCredentialId", () => {
  assert.equal(wx.maskName("张三"), "张*");
  assert.equal(wx.maskName("张小三"), "张*三");
  assert.equal(wx.maskName("欧阳小明"), "欧**明");
  assert.equal(wx.maskName("李"), "*");
  assert.equal(wx.maskName(""), "");
  assert.equal(wx.maskCredentialId("110105194912311234"), "110***********1234");
  assert.equal(wx.maskCredentialId("E1234567"), "E*****67");
  assert.equal(wx.maskCredentialId("12345"), "****5");
  assert.equal(wx.maskCredentialId("12345678"), "1*****78");
});

test("checkResidentId: GB 11643", () => {
  assert.deepEqual(wx.checkResidentId(SPECIMEN), { valid: true, problem: null, message: null });
  assert.equal(wx.checkResidentId(SPECIMEN.toLowerCase()).valid, true);
  const cases = {
    "1101051949123100": "length",
    "1101051949123100AX": "characters",
    "110105194902300021": "birth_date",
    "110105194912310021": "check_digit",
  };
  for (const [id, problem] of Object.entries(cases)) {
    const r = wx.checkResidentId(id);
    assert.equal(r.valid, false, id);
    assert.equal(r.problem, problem, id);
    assert.ok(!r.message.includes(id.slice(0, 6)), "the answer never repeats the number");
  }
  // Every single-digit change of the first 17 is caught.
  for (let i = 0; i < 17; i++) {
    const d = SPECIMEN[i] === "9" ? "0" : String(Number(SPECIMEN[i]) + 1);
    const id = SPECIMEN.slice(0, i) + d + SPECIMEN.slice(i + 1);
    assert.equal(wx.checkResidentId(id).valid, false, `position ${i}`);
  }
});

test("credentialLabel", () => {
  assert.equal(wx.credentialLabel(1), "身份证");
  assert.equal(wx.credentialLabel(2), "护照");
  assert.equal(wx.credentialLabel(9), "台胞证");
  assert.equal(wx.credentialLabel(99), "未知证件");
});

test("errors: instances of the class of their kind, code = core code, details as properties", () => {
  let e = thrown(() =>
    wx.buildSdkRequest({ cmd: "getWxpayfaceCode", mch_id: "1", store_id: "S", authinfo: "A" }, "1.24", 1700000000),
  );
  assert.ok(e instanceof errors.InvalidInputError);
  assert.equal(e.name, "InvalidInputError");
  assert.equal(e.kind, "invalid_input");
  assert.equal(e.code, "invalid_input");
  assert.equal(e.field, "appid");
  assert.equal(e.retryable, false);
  assert.match(e.message, /appid/);
  assert.match(String(e), /^InvalidInputError: /);
  assert.deepEqual(e.info(), { code: "invalid_input", kind: "invalid_input", message: e.message, retryable: false, field: "appid" });

  e = thrown(() => wx.validateSdkRequest({ cmd: "getWxpayAuth", authinfo: "A", face_sid: "s", quit: true }, "1.19"));
  assert.ok(e instanceof errors.SdkVersionError);
  assert.equal(e.kind, "sdk_version");
  assert.equal(e.code, "sdk_version");
  assert.equal(e.cmd, "getWxpayAuth");
  assert.equal(e.field, "quit_face_auth");
  assert.equal(e.required, "1.20");
  assert.equal(e.target, "1.19");

  e = thrown(() => wx.parseSdkResponse("getWxpayfaceCode", '{"return_code":"USER_CANCEL","return_msg":"用户取消"}'));
  assert.ok(e instanceof errors.SdkError);
  assert.equal(e.kind, "sdk");
  assert.equal(e.code, "sdk");
  assert.equal(e.cmd, "getWxpayfaceCode");
  assert.equal(e.returnCode, "USER_CANCEL");
  assert.equal(e.returnMsg, "用户取消");
  assert.equal(wx.classify(e), "user_cancel");

  e = thrown(() => wx.parseSdkResponse("initWxpayface", "{"));
  assert.ok(e instanceof errors.MalformedError);
  assert.equal(e.kind, "malformed");
  e = thrown(() => wx.parseSdkResponse("getWxpayface", "{}"));
  assert.equal(e.code, "invalid_input");
  assert.equal(e.field, "cmd");

  // Times are unix seconds; milliseconds are refused, fractions dropped.
  e = thrown(() => wx.buildSdkRequest({ cmd: "releaseWxpayface" }, "1.24", Date.now()));
  assert.equal(e.field, "now");
  assert.equal(
    wx.buildSdkRequest({ cmd: "releaseWxpayface" }, undefined, 1700000000.75),
    '{"cmd":"releaseWxpayface","version":"1","now":1700000000}',
  );
  e = thrown(() => wx.buildSdkRequest({ cmd: "releaseWxpayface" }, "one", 1700000000));
  assert.equal(e.field, "sdk_version");

  // The flow's configuration has no place for a secret.
  e = thrown(() => new wx.Flow({ appid: "wx1", mch_id: "1", store_id: "S", api_key: "k" }));
  assert.equal(e.code, "invalid_input");
  // An unknown key is refused without being repeated (wxface_core::redact).
  assert.match(e.message, /`config` unknown field/);
  e = thrown(() => new wx.Flow({ appid: "wx1", mch_id: "1", store_id: "S", sdk_version: "1.17", screen_index: "1" }));
  assert.equal(e.code, "sdk_version");

  const flow = new wx.Flow({ appid: "wx1", mch_id: "1", store_id: "S" });
  e = thrown(() => flow.handle(1700000000, { type: "begin" }));
  assert.ok(e instanceof errors.StateError);
  assert.equal(e.code, "state");
  assert.equal(e.state, "uninitialised");
  assert.equal(e.event, "begin");
  e = thrown(() => flow.handle(1700000000, { type: "dance" }));
  assert.equal(e.code, "invalid_input");
  assert.equal(e.field, "event");
});

test("errors never repeat the value they refuse", () => {
  const phone = 13800000000;
  const e = thrown(() =>
    wx.buildSdkRequest(
      { cmd: "getWxpayfaceCode", appid: "wx1", mch_id: "1", store_id: "S", authinfo: "A", telephone: phone },
      "1.24",
      1700000000,
    ),
  );
  assert.equal(e.code, "invalid_input");
  assert.ok(!e.message.includes(String(phone)), e.message);
  const flow = new wx.Flow({ appid: "wx1", mch_id: "1", store_id: "S" });
  const e2 = thrown(() => flow.handle(1700000000, { type: "real_name", id: "张小三" }));
  assert.ok(!e2.message.includes("张小三"), e2.message);
});

test("classify: thrown errors, their details, or an answer", () => {
  const expired = '{"return_code":"ERROR","return_msg":"授权请求信息不存在或者已过期","err_code":271382020}';
  const e = thrown(() => wx.parseSdkResponse("getWxpayfaceCode", expired));
  assert.equal(wx.classify(e), "authinfo_expired");
  assert.equal(wx.classify(e.info()), "authinfo_expired", "its record");
  assert.equal(wx.classify({ ...e.info() }), "authinfo_expired");
  assert.equal(wx.classify(expired), "authinfo_expired");
  assert.equal(
    wx.classify('{"return_code":"ERROR","return_msg":"x","err_code":"ACTION_ON_USER_QUERY_CANCEL"}'),
    "consent_refused",
  );
  assert.equal(wx.classify({ return_code: "ERROR", err_code: 271378621 }), "initialising");
  assert.equal(wx.classify('{"return_code":"SCAN_PAYMENT","return_msg":""}'), "scan_instead");
  assert.equal(wx.classify('{"return_code":"SYSTEMERROR","return_msg":"x"}'), "other");
  assert.equal(wx.classify('{"return_code":"SUCCESS","return_msg":"OK"}'), undefined);
  assert.equal(wx.classify(new Error("plain")), undefined);
  const invalid = thrown(() => wx.validateSdkRequest({ cmd: "getWxpayAuth" }));
  assert.equal(wx.classify(invalid), undefined);
});

// A kiosk holds no secret: the package must have no way to sign, verify or
// decrypt, and none of the code that would.
const FORBIDDEN = /decrypt|sign|verif|rsa|md5|hmac|sha1|oaep|pkcs|private|apikey|api_key|secret/i;
const FORBIDDEN_IDENTS = new Set([
  // crates
  "rsa", "md5", "md_5", "hmac", "sha1", "sha2", "pkcs1", "pkcs8", "x509_cert", "spki", "der",
  "crypto_bigint", "crypto_primes", "aws_lc_rs", "getrandom", "rand_core",
  // wxface_core modules and functions
  "v2", "v3", "decrypt", "crypto", "Decryptor", "ApiKey", "PrivateKey", "sign", "sign_sha256",
  "verify_sha256", "parse_authinfo_response",
]);

test("no keys, no signing, no decryption: JS surface", () => {
  for (const name of Object.keys(wx)) assert.doesNotMatch(name, FORBIDDEN);
  for (const name of Object.getOwnPropertyNames(wx.Flow.prototype)) assert.doesNotMatch(name, FORBIDDEN);
  for (const d of ["node", "web"]) {
    const js = readFileSync(join(PKG, d, "wxface_wasm.js"), "utf8");
    // Every function the glue defines or exports.
    const defined = [...js.matchAll(/(?:function\s+([A-Za-z_$][\w$]*)|exports\.([A-Za-z_$][\w$]*)\s*=|^\s{4}([a-zA-Z_$][\w$]*)\s*\([^)]*\)\s*\{)/gm)]
      .map((m) => m[1] || m[2] || m[3]);
    assert.ok(defined.length > 10, `${d}: glue parsed`);
    for (const f of defined) assert.doesNotMatch(f, FORBIDDEN, `${d} glue defines ${f}`);
    const dts = readFileSync(join(PKG, d, "wxface_wasm.d.ts"), "utf8");
    for (const m of dts.matchAll(/(?:function|class)\s+([A-Za-z_$][\w$]*)|^\s+([a-zA-Z_$][\w$]*)\(/gm)) {
      assert.doesNotMatch(m[1] || m[2], FORBIDDEN, `${d} d.ts declares ${m[1] || m[2]}`);
    }
  }
});

test("no keys, no signing, no decryption: wasm exports and symbols", () => {
  for (const d of ["node", "web"]) {
    const mod = new WebAssembly.Module(readFileSync(join(PKG, d, "wxface_wasm_bg.wasm")));
    const exports = WebAssembly.Module.exports(mod).map((e) => e.name);
    assert.ok(exports.includes("buildSdkRequest") && exports.includes("flow_next"), exports.join(" "));
    for (const name of exports) assert.doesNotMatch(name, FORBIDDEN, `${d} wasm exports ${name}`);
  }
  // The linked module before wasm-opt still names every function it contains.
  const names = functionNames(readFileSync(rawWasmPath()));
  assert.ok(names.length > 500, `name section read (${names.length} names)`);
  const idents = new Set(names.flatMap(identifiers));
  for (const expected of ["wxface_core", "flow", "sdk", "realname", "mask_name"]) {
    assert.ok(idents.has(expected), `the scan sees ${expected}`);
  }
  const found = [...FORBIDDEN_IDENTS].filter((i) => idents.has(i));
  assert.deepEqual(found, [], "no RSA, digest, MAC, key or decryption code is linked in");
});
