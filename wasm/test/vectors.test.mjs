// The shared face SDK vectors (tests/vectors/sdk) through both builds: the
// JSON built and the objects parsed must be those the Rust core's own vector
// test checks.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { errors, PKG, vectors, wx } from "./helpers.mjs";

// The browser build, instantiated from bytes as a kiosk page does.
const web = await import(join(PKG, "web", "wxface_wasm.js"));
web.initSync({ module: readFileSync(join(PKG, "web", "wxface_wasm_bg.wasm")) });
const webErrors = await import(join(PKG, "web", "errors.js"));

const requests = vectors("sdk/requests.json");
const responses = vectors("sdk/responses.json");

for (const [label, m, cls] of [
  ["node", wx, errors],
  ["web", web, webErrors],
]) {
  function codeOf(f) {
    try {
      f();
    } catch (e) {
      assert.ok(e instanceof cls.WxfaceError);
      assert.equal(e.kind, e.code.startsWith("signature_") ? "signature" : e.code);
      assert.equal(e.constructor, cls.KINDS[e.kind]);
      return e;
    }
    return undefined;
  }

  test(`${label}: sdk/requests.json (${requests.length} vectors)`, () => {
    assert.ok(requests.length >= 30);
    for (const t of requests) {
      const { request, sdk_version, now } = t.inputs;
      const id = `tc ${t.tcId} (${t.comment})`;
      if (t.result === "valid") {
        assert.equal(m.buildSdkRequest(request, sdk_version, now), t.expected, id);
        assert.equal(m.validateSdkRequest(request, sdk_version), undefined, id);
      } else {
        const e = codeOf(() => m.buildSdkRequest(request, sdk_version, now));
        assert.ok(e, `${id} must fail`);
        assert.equal(e.code, t.code, `${id}: ${e.message}`);
        // validateSdkRequest takes no `now`: a refused clock is the builder's alone.
        if (!/\bnow\b/.test(t.comment)) {
          const v = codeOf(() => m.validateSdkRequest(request, sdk_version));
          assert.equal(v?.code, t.code, `${id}: validate agrees`);
        }
      }
    }
  });

  test(`${label}: sdk/responses.json (${responses.length} vectors)`, () => {
    for (const t of responses) {
      const { cmd, response } = t.inputs;
      const id = `tc ${t.tcId} (${t.comment})`;
      if (t.result === "valid") {
        assert.deepEqual(m.parseSdkResponse(cmd, response), t.expected, id);
        assert.equal(m.classify(response), undefined, id);
      } else {
        const e = codeOf(() => m.parseSdkResponse(cmd, response));
        assert.ok(e, `${id} must fail`);
        assert.equal(e.code, t.code, `${id}: ${e.message}`);
        assert.equal(m.classify(e), t.class ?? undefined, id);
        assert.equal(m.classify(e.info()), t.class ?? undefined, id);
      }
    }
  });
}
