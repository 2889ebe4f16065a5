#!/usr/bin/env bash
# Runs every test of the project: Rust (workspace, vectors, wasm32 build,
# cross-target checks), the C-ABI test under valgrind, the Python interop
# suite against the sandbox, each binding's own suite, and the Windows builds
# (mingw-w64) run under Wine.
#
#   scripts/test.sh            everything
#   scripts/test.sh rust       one stage (rust, fuzz, deny, targets, cabi, interop, python, node, kotlin, wasm, dist, windows)
#
# Stage `dist` builds the packages users install (scripts/dist.sh), publishes
# them to registries started on loopback and installs them from there.
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

# apt_install <package>…: install the Debian packages not yet installed.
apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -gt 0 ] || return 0
  have apt-get || { echo "missing ${missing[*]} and no apt-get" >&2; exit 1; }
  local sudo=
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# prefetched <step>: when .ci/run started scripts/prefetch.sh (it sets
# WXFACE_PREFETCH_DIR), wait until its step is over, so that no two
# installers run at once. Whatever it did not install, the stages do.
prefetched() {
  local dir=${WXFACE_PREFETCH_DIR:-} t0
  [ -n "$dir" ] || return 0
  [ -e "$dir/$1.done" ] || [ -e "$dir/$1.failed" ] && return 0
  t0=$(date +%s)
  while [ ! -e "$dir/$1.done" ] && [ ! -e "$dir/$1.failed" ]; do
    kill -0 "$(cat "$dir/pid" 2>/dev/null)" 2>/dev/null || break
    sleep 1
  done
  printf '==> waited %d s for the background installs (%s)\n' "$(($(date +%s) - t0))" "$1"
}

run_rust() {
  export WXFACE_REQUIRE_PROXY_TESTS=1
  stage "rust: format"
  cargo fmt --all -- --check
  stage "rust: generated files are current (cargo xtask gen --check)"
  cargo xtask gen --check
  stage "rust: one model for every binding (cargo xtask measure, ARCHITECTURE.md)"
  cargo xtask measure
  stage "rust: build (bins and cdylibs that the tests load)"
  cargo build --workspace --exclude wxface-py --exclude wxface-sandbox-py --exclude wxface-node --exclude wxface-kotlin --exclude wxface-wasm
  stage "rust: clippy"
  cargo clippy --workspace --exclude wxface-py --exclude wxface-sandbox-py --exclude wxface-node --exclude wxface-kotlin --exclude wxface-wasm --all-targets -- -D warnings
  stage "rust: forward proxies of the proxy tests (apt: tinyproxy, microsocks)"
  prefetched apt
  apt_install tinyproxy microsocks
  stage "rust: tests"
  cargo test --workspace --exclude wxface-py --exclude wxface-sandbox-py --exclude wxface-node --exclude wxface-kotlin --exclude wxface-wasm
  stage "rust: core with every crypto backend"
  cargo test -p wxface-core --all-features
  stage "rust: decrypting unverified fields does not compile (trybuild)"
  cargo test -p wxface-core --test compile_fail
}

run_fuzz() {
  # The cargo-fuzz targets of fuzz/ (nightly, AddressSanitizer and leak
  # detection): built, then each run for 30 s from its committed corpus, two
  # at a time (one per core; libFuzzer runs on one). New inputs go to a
  # scratch directory, never into fuzz/corpus; a crash or leak fails the
  # stage with the input saved under fuzz/artifacts/<target>/.
  stage "fuzz: nightly toolchain and cargo-fuzz"
  rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
  have cargo-fuzz || cargo install cargo-fuzz --locked
  stage "fuzz: build every target"
  cargo +nightly fuzz build
  local logs targets=() t i failed=()
  logs=$(mktemp -d)
  mapfile -t targets < <(cargo +nightly fuzz list)
  [ ${#targets[@]} -gt 0 ] || { echo "FUZZ FAILURE: no fuzz targets" >&2; return 1; }
  fuzz_one() { # fuzz_one <target>: 30 s from its corpus; its output in $logs/<target>.log
    local scratch rc=0
    scratch=$(mktemp -d)
    cargo +nightly fuzz run "$1" "$scratch" "fuzz/corpus/$1" -- \
      -max_total_time=30 -timeout=10 -print_final_stats=1 >"$logs/$1.log" 2>&1 || rc=$?
    rm -rf "$scratch"
    echo "$rc" >"$logs/$1.rc"
  }
  for ((i = 0; i < ${#targets[@]}; i += 2)); do
    stage "fuzz: ${targets[*]:i:2}, 30 s each from fuzz/corpus/<target>"
    for t in "${targets[@]:i:2}"; do fuzz_one "$t" & done
    wait
  done
  for t in "${targets[@]}"; do
    if [ "$(cat "$logs/$t.rc" 2>/dev/null)" != 0 ]; then
      failed+=("$t")
      stage "fuzz: $t FAILED, its whole output:"
      cat "$logs/$t.log"
    else
      stage "fuzz: $t, final statistics"
      grep -E '^(Done|stat::|#[0-9]+.*DONE)' "$logs/$t.log" || tail -n 5 "$logs/$t.log"
    fi
  done
  rm -rf "$logs"
  if [ ${#failed[@]} -gt 0 ]; then
    echo "FUZZ FAILURE: ${failed[*]} crashed, leaked or timed out; the inputs are in fuzz/artifacts/<target>/." >&2
    echo "Fix it, then keep the input as fuzz/regressions/<target>/<name> (replayed by cargo test)." >&2
    return 1
  fi
}

run_deny() {
  # Supply chain (deny.toml): advisories against the advisory-db snapshot in
  # ../shared/advisory-db, offline; licences; duplicate versions (warnings);
  # sources (crates.io only).
  stage "deny: cargo-deny"
  have cargo-deny || cargo install cargo-deny --locked
  local snap="$ROOT/../shared/advisory-db"
  if [ ! -f "$snap/SNAPSHOT" ] || [ ! -d "$snap/crates" ]; then
    echo "DENY FAILURE: no advisory-db snapshot at $snap" >&2
    echo "(shared/ must sit beside the repository, holding advisory-db/SNAPSHOT and advisory-db/crates/)" >&2
    return 1
  fi
  stage "deny: advisory DB $(head -n 1 "$snap/SNAPSHOT")"
  local root db date
  root=$(mktemp -d)
  export WXFACE_ADVISORY_DB_ROOT=$root
  # cargo-deny looks for the database in a directory named after its URL,
  # and wants a git repository there: ask it where, then put the snapshot
  # there as a one-commit repository dated like the snapshot, so that the
  # staleness limit of deny.toml measures the snapshot's real age.
  db=$( (cargo deny --color never -L debug --frozen check advisories 2>&1 || true) |
    sed -n "s/.*Opening advisory database at '\(.*\)'.*/\1/p" | head -n 1)
  if [ -z "$db" ]; then
    echo "DENY FAILURE: could not learn where cargo-deny expects the advisory database" >&2
    return 1
  fi
  date=$(sed -n 's/.*(\([0-9][0-9-]*\)).*/\1/p' "$snap/SNAPSHOT" | head -n 1)
  mkdir -p "$db"
  cp -R "$snap/." "$db/"
  git -C "$db" init -q -b main
  git -C "$db" add -- SNAPSHOT
  GIT_AUTHOR_DATE="${date}T00:00:00Z" GIT_COMMITTER_DATE="${date}T00:00:00Z" \
    git -C "$db" -c user.name=advisory-db -c user.email=advisory-db@localhost \
    commit -q -m "$(head -n 1 "$snap/SNAPSHOT")"
  touch -d "${date}T00:00:00Z" "$db/.git/HEAD"
  stage "deny: check (offline)"
  local rc=0
  cargo deny --color never --frozen check || rc=$?
  rm -rf "$root"
  unset WXFACE_ADVISORY_DB_ROOT
  if [ $rc -ne 0 ]; then
    echo "DENY FAILURE: cargo deny check failed (see above)" >&2
    return $rc
  fi
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

run_dist() {
  stage "dist: packages built, published to local registries, installed and tested (scripts/dist.sh)"
  bash scripts/dist.sh
}

run_windows() {
  stage "windows: cross builds (mingw-w64); the demo, the C ABI, capture and the Node kiosk under Wine"
  bash scripts/windows.sh
}

stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(rust fuzz deny targets cabi interop python node kotlin wasm dist windows)
for s in "${stages[@]}"; do
  declare -F "run_$s" >/dev/null || { echo "unknown stage '$s'" >&2; exit 2; }
  case $s in
    rust) ;;                       # waits for the proxies' packages before its tests
    fuzz) prefetched cargo-fuzz ;; # (the steps run in turn: apt and rustup are over too)
    *) prefetched all ;;
  esac
  t0=$(date +%s)
  "run_$s"
  printf '\n==> stage %s passed in %d s\n' "$s" "$(($(date +%s) - t0))"
done
stage "all stages passed: ${stages[*]}"
