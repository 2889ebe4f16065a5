#!/usr/bin/env bash
# Runs every test of the project: Rust (workspace, vectors, wasm32 build,
# cross-target checks), the C-ABI test under valgrind, the Python interop
# suite against the sandbox, and each binding's own suite.
#
#   scripts/test.sh            everything
#   scripts/test.sh rust       one stage (rust, targets, cabi, interop, python, node, kotlin, wasm)
#
# It installs what it needs by name (rustup targets, pip, npm, apt) and stops
# at the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

if [ "${CI:-}" = "true" ]; then
  # Faster cold builds and a smaller target dir (see TOOLCHAIN notes).
  export CARGO_INCREMENTAL=0
  export CARGO_PROFILE_DEV_DEBUG=line-tables-only
fi
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

stage() { printf '\n==> %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }

venv() {
  # One virtual environment for every Python stage.
  if [ ! -x "$ROOT/target/venv/bin/python" ]; then
    python3 -m venv "$ROOT/target/venv"
  fi
  # shellcheck disable=SC1091
  . "$ROOT/target/venv/bin/activate"
  python -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null
}

run_rust() {
  stage "rust: format"
  cargo fmt --all -- --check
  stage "rust: build (bins and cdylibs that the tests load)"
  cargo build --workspace --exclude wxface-py --exclude wxface-node --exclude wxface-kotlin --exclude wxface-wasm
  stage "rust: clippy"
  cargo clippy --workspace --exclude wxface-py --exclude wxface-node --exclude wxface-kotlin --exclude wxface-wasm --all-targets -- -D warnings
  stage "rust: tests"
  cargo test --workspace --exclude wxface-py --exclude wxface-node --exclude wxface-kotlin --exclude wxface-wasm
  stage "rust: core with every crypto backend"
  cargo test -p wxface-core --all-features
  stage "rust: decrypting unverified fields does not compile (trybuild)"
  cargo test -p wxface-core --test compile_fail
}

run_targets() {
  stage "targets: core for wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown >/dev/null
  cargo build -p wxface-core --no-default-features --target wasm32-unknown-unknown
  if [ -f capture/src/ffi.rs ] || grep -q libloading capture/Cargo.toml; then
    stage "targets: capture for Windows (x86_64 and i686)"
    rustup target add x86_64-pc-windows-msvc i686-pc-windows-msvc >/dev/null
    cargo check -p wxface-capture --no-default-features --features native --target x86_64-pc-windows-msvc
    cargo check -p wxface-capture --no-default-features --features native --target i686-pc-windows-msvc
  fi
}

run_cabi() {
  if [ -x tests/c-abi/run.sh ]; then
    stage "C ABI: the emulator library from C, under valgrind"
    tests/c-abi/run.sh
  fi
}

run_interop() {
  if [ -f tests/interop/conftest.py ]; then
    stage "interop: independent Python peer against the sandbox"
    venv
    python -m pip install --quiet -r tests/interop/requirements.txt
    python -m pytest -q tests/interop
    deactivate
  fi
}

run_python() {
  if [ -f bindings-py/pyproject.toml ]; then
    stage "python binding"
    bash bindings-py/test.sh
  fi
}

run_node() {
  if [ -f bindings-node/package.json ]; then
    stage "node binding"
    bash bindings-node/test.sh
  fi
}

run_kotlin() {
  if [ -f bindings-kotlin/pom.xml ]; then
    stage "kotlin binding"
    bash bindings-kotlin/test.sh
  fi
}

run_wasm() {
  if [ -f wasm/test.sh ]; then
    stage "wasm package and browser kiosk"
    bash wasm/test.sh
  fi
}

stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(rust targets cabi interop python node kotlin wasm)
for s in "${stages[@]}"; do
  "run_$s"
done
stage "all stages passed: ${stages[*]}"
