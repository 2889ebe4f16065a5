#!/usr/bin/env bash
# Builds and tests the Node binding (@wxface/node):
#   npm ci → emulator library → napi build (debug) → clippy → tsc --noEmit →
#   node --test → the kiosk example's tests
# Called by scripts/test.sh (stage `node`); runs alone too. Stops at the first
# failure.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd .. && pwd)

step() { printf '\n--> node: %s\n' "$*"; }

step "npm ci"
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  npm install --no-audit --no-fund
fi

step "the face SDK emulator library (vendor C ABI) the kiosk tests load"
cargo build --manifest-path "$ROOT/Cargo.toml" -p wxface-sdk-emu

step "napi build (debug)"
npx napi build --platform --js native.js --dts native.d.ts -- --color never

step "clippy"
cargo clippy --manifest-path "$ROOT/Cargo.toml" -p wxface-node --no-deps --all-targets -- -D warnings

step "tsc --noEmit"
npx tsc --noEmit -p test/tsconfig.json

step "node --test"
node --test --test-reporter=spec test/

step "examples/kiosk-node"
(
  cd "$ROOT/examples/kiosk-node"
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
  node --test --test-reporter=spec test/
)
