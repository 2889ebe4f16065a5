#!/usr/bin/env bash
# Builds @wxface/wasm: the Rust crate for wasm32-unknown-unknown (profile
# wasm-release), wasm-bindgen glue for browsers (pkg/web, ES module) and Node
# (pkg/node, CommonJS) with TypeScript declarations, then wasm-opt -Oz.
# Prints the gzipped size and fails when it exceeds the budget.
#
#   wasm/build.sh            build
#   WXFACE_WASM_BUDGET=...   gzipped budget in bytes (default 200 KiB)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
cd "$ROOT"

WASM_BINDGEN_VERSION=0.2.130
BUDGET=${WXFACE_WASM_BUDGET:-204800}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
PKG="$HERE/pkg"

say() { printf '[wasm] %s\n' "$*"; }

rustup target add wasm32-unknown-unknown >/dev/null

# The CLI must match the crate's pinned wasm-bindgen exactly.
if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes)"
  # Not --locked: its lockfile names a crate version the registry no longer serves.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

say "cargo build (wasm-release, wasm32-unknown-unknown)"
cargo build -p wxface-wasm --profile wasm-release --target wasm32-unknown-unknown
RAW="$TARGET_DIR/wasm32-unknown-unknown/wasm-release/wxface_wasm.wasm"
[ -f "$RAW" ] || { echo "no $RAW" >&2; exit 1; }

rm -rf "$PKG"
mkdir -p "$PKG/web" "$PKG/node"
say "wasm-bindgen --target web, --target nodejs"
wasm-bindgen --target web --out-dir "$PKG/web" "$RAW"
wasm-bindgen --target nodejs --out-dir "$PKG/node" "$RAW"
# Module kinds for Node, whatever the enclosing package says.
echo '{"type": "module"}' >"$PKG/web/package.json"
echo '{"type": "commonjs"}' >"$PKG/node/package.json"

# wasm-opt from npm binaryen@132 (Debian's older binaryen breaks the
# externref table wasm-bindgen emits).
if [ ! -x "$HERE/node_modules/.bin/wasm-opt" ] && command -v npm >/dev/null 2>&1; then
  (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error) || say "npm ci failed: skipping wasm-opt"
fi
if [ -x "$HERE/node_modules/.bin/wasm-opt" ]; then
  for d in web node; do
    f="$PKG/$d/wxface_wasm_bg.wasm"
    "$HERE/node_modules/.bin/wasm-opt" -Oz "$f" -o "$f.opt"
    mv "$f.opt" "$f"
  done
  say "wasm-opt -Oz ($("$HERE/node_modules/.bin/wasm-opt" --version))"
else
  say "wasm-opt not available: the package is not size-optimised"
fi

# The browser kiosk example loads the web build from its own directory.
KIOSK="$ROOT/examples/kiosk-web"
if [ -d "$KIOSK" ]; then
  rm -rf "$KIOSK/wxface"
  mkdir -p "$KIOSK/wxface"
  cp "$PKG/web/wxface_wasm.js" "$PKG/web/wxface_wasm_bg.wasm" "$PKG/web/wxface_wasm.d.ts" "$KIOSK/wxface/"
  say "staged the web build in examples/kiosk-web/wxface/"
fi

raw_size=$(wc -c <"$PKG/web/wxface_wasm_bg.wasm")
gz_size=$(gzip -9 -c "$PKG/web/wxface_wasm_bg.wasm" | wc -c)
printf '%s\n' "{\"wasm_bytes\": $raw_size, \"wasm_gzip9_bytes\": $gz_size, \"budget_gzip_bytes\": $BUDGET}" >"$PKG/size.json"
say "wxface_wasm_bg.wasm: $raw_size bytes, $gz_size bytes gzipped (gzip -9); budget $BUDGET"
if [ "$gz_size" -gt "$BUDGET" ]; then
  echo "[wasm] FAIL: gzipped wasm is over budget ($gz_size > $BUDGET bytes)" >&2
  exit 1
fi
