#!/usr/bin/env bash
# Everything about @wxface/wasm, failing at the first problem: the crate's own
# Rust tests and lints, the package build (size budget included), the Node
# tests over the built package, and the browser kiosk test in headless
# Chromium against `wxface dev-server`.
#
#   wasm/test.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
cd "$ROOT"

step() { printf '\n[wasm] == %s\n' "$*"; }
fail() {
  printf '\n[wasm] FAILED: %s\n' "$*" >&2
  exit 1
}
trap 'fail "line $LINENO: $BASH_COMMAND"' ERR

command -v node >/dev/null || fail "node is required"
command -v npm >/dev/null || fail "npm is required"

step "rust: format, lints (native and wasm32), unit tests"
cargo fmt -p wxface-wasm -- --check
rustup target add wasm32-unknown-unknown >/dev/null
cargo clippy -p wxface-wasm --all-targets -- -D warnings
cargo clippy -p wxface-wasm --target wasm32-unknown-unknown -- -D warnings
cargo test -p wxface-wasm

step "build the package"
bash "$HERE/build.sh"

step "node tests over the built package"
(cd "$HERE" && node --test test/*.test.mjs)

step "TypeScript declarations (tsc --noEmit --strict)"
[ -x "$HERE/node_modules/.bin/tsc" ] || (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error)
(cd "$HERE" && node_modules/.bin/tsc -p test/tsconfig.json)

KIOSK="$ROOT/examples/kiosk-web"
if [ -f "$KIOSK/test/browser.test.mjs" ]; then
  step "browser kiosk: headless Chromium against wxface dev-server"
  # Chromium from Debian (never a downloaded browser build); a CJK font so
  # that the screenshots are readable.
  missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-wqy-microhei)
  if [ ${#missing[@]} -gt 0 ]; then
    command -v apt-get >/dev/null 2>&1 || fail "needs Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
  cargo build -p wxface-cli --bin wxface
  WXFACE_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/wxface"
  export WXFACE_BIN
  "$WXFACE_BIN" dev-server --help >/dev/null 2>&1 || fail "$WXFACE_BIN has no dev-server subcommand"
  (cd "$KIOSK" && npm ci --no-audit --no-fund --loglevel=error)
  (cd "$KIOSK" && node --test test/*.test.mjs)
fi

step "all wasm checks passed"
