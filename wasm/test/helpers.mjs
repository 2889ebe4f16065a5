// Shared helpers of the @wxface/wasm tests: loading the Node build, the
// shared vector corpus, and reading a wasm binary's sections.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const HERE = dirname(fileURLToPath(import.meta.url));
export const WASM_DIR = resolve(HERE, "..");
export const ROOT = resolve(WASM_DIR, "..");
export const PKG = join(WASM_DIR, "pkg");

const require = createRequire(import.meta.url);
/** The nodejs build (CommonJS), as a kiosk written for Electron loads it. */
export const wx = require(join(PKG, "node", "wxface_wasm.js"));
/** Its error classes (`@wxface/wasm/errors`): the module the package throws from. */
export const errors = require(join(PKG, "node", "errors.js"));

/** Every test of a Wycheproof-shaped vector file under tests/vectors. */
export function vectors(rel) {
  const v = JSON.parse(readFileSync(join(ROOT, "tests", "vectors", rel), "utf8"));
  if (!v.source) throw new Error(`${rel} does not say where its values came from`);
  return v.testGroups.flatMap((g) => g.tests);
}

/** The wasm as cargo linked it, before wasm-bindgen and wasm-opt: it still has its name section. */
export function rawWasmPath() {
  const target = process.env.CARGO_TARGET_DIR
    ? resolve(process.env.CARGO_TARGET_DIR)
    : join(ROOT, "target");
  return join(target, "wasm32-unknown-unknown", "wasm-release", "wxface_wasm.wasm");
}

function leb(buf, pos) {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = buf[pos++];
    result += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) return [result, pos];
  }
}

/** Function names of a wasm binary's `name` custom section. */
export function functionNames(bytes) {
  const buf = new Uint8Array(bytes);
  let pos = 8;
  const names = [];
  while (pos < buf.length) {
    const id = buf[pos++];
    let size;
    [size, pos] = leb(buf, pos);
    const end = pos + size;
    if (id === 0) {
      let len;
      let p = pos;
      [len, p] = leb(buf, p);
      const section = Buffer.from(buf.subarray(p, p + len)).toString("utf8");
      p += len;
      if (section === "name") {
        while (p < end) {
          const sub = buf[p++];
          let subSize;
          [subSize, p] = leb(buf, p);
          const subEnd = p + subSize;
          if (sub === 1) {
            let count;
            [count, p] = leb(buf, p);
            for (let i = 0; i < count; i++) {
              let n;
              [, p] = leb(buf, p);
              [n, p] = leb(buf, p);
              names.push(Buffer.from(buf.subarray(p, p + n)).toString("utf8"));
              p += n;
            }
          }
          p = subEnd;
        }
      }
    }
    pos = end;
  }
  return names;
}

/**
 * The path identifiers of a mangled Rust symbol (legacy `_ZN` or v0 `_R`):
 * both write identifiers as `<length><name>`, so crate, module and function
 * names come out whole and a type code such as v0's `RSA` never reads as `rsa`.
 */
export function identifiers(symbol) {
  const out = [];
  let i = 0;
  while (i < symbol.length) {
    const m = /^\d+/.exec(symbol.slice(i));
    if (!m) {
      i++;
      continue;
    }
    const n = Number(m[0]);
    let start = i + m[0].length;
    if (symbol[start] === "_" && n > 0) start++; // v0 separator
    const ident = symbol.slice(start, start + n);
    if (n > 0 && /^[A-Za-z_][A-Za-z0-9_]*$/.test(ident)) {
      out.push(ident);
      i = start + n;
    } else {
      i += m[0].length;
    }
  }
  return out;
}
