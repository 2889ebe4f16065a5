// The shared face SDK vectors (tests/vectors/sdk) through both builds: the
// JSON built and the objects parsed must be those the Rust core's own vector
// test checks.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { PKG, vectors, wx } from "./helpers.mjs";

// The browser build, instantiated from bytes as a kiosk page does.
const web = await import(join(PKG, "web", "wxface_wasm.js"));
web.initSync({ module: readFileSync(join(PKG, "web", "wxface_wasm_bg.wasm")) });

const requests = vectors("sdk/requests.json");
const responses = vectors("sdk/responses.json");

function codeOf(f) {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof Error);
    assert.equal(e.name, e.code.startsWith("signature_") ? "signature" : e.code);
    return e;
  }
  return undefined;
}

for (const [label, m] of [
  ["node", wx],
  ["web", web],
]) {
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
        assert.equal(e.sdk_class, t.class ?? undefined, id);
        assert.equal(m.classify(e), t.class ?? undefined, id);
      }
    }
  });
}
