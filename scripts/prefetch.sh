#!/usr/bin/env bash
# Installs, in the background, the Debian packages and Rust toolchain pieces
# that the stages of scripts/test.sh install on a new machine, so that their
# downloading and unpacking run while the first stage compiles (.ci/run
# starts it). An optimisation only: every stage still checks and installs
# what it needs itself, and waits for this script's step first (test.sh,
# `prefetched`), so that two installers never run at once.
#
#   scripts/prefetch.sh <dir>   writes <dir>/<step>.done or <dir>/<step>.failed
#                               for each step in turn (apt, rustup, cargo-fuzz,
#                               tools), then <dir>/all.done
set -uo pipefail
cd "$(dirname "$0")/.."
dir=${1:?usage: scripts/prefetch.sh <marker dir>}
mkdir -p "$dir"
have() { command -v "$1" >/dev/null 2>&1; }
t0=$(date +%s)
mark() { # mark <step> <rc>
  if [ "$2" -eq 0 ]; then touch "$dir/$1.done"; else touch "$dir/$1.failed"; fi
  echo "prefetch: $1 $([ "$2" -eq 0 ] && echo done || echo FAILED) at $(( $(date +%s) - t0 )) s"
}

# Debian packages of every stage (rust: the proxies of the proxy tests; wasm:
# Chromium and a CJK font; windows: Wine of both bitnesses, mingw-w64, NASM;
# dist: musl, mingw-w64).
apt_step() {
  have apt-get || return 0
  local want=(tinyproxy microsocks chromium fonts-wqy-microhei wine wine64 wine32:i386
    gcc-mingw-w64-x86-64 gcc-mingw-w64-i686 binutils-mingw-w64-x86-64 mingw-w64 nasm
    musl-tools file binutils) missing=() p sudo=
  for p in "${want[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -gt 0 ] || return 0
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "prefetch: apt-get install ${missing[*]}"
  dpkg --print-foreign-architectures | grep -qx i386 || $sudo dpkg --add-architecture i386 || return 1
  $sudo apt-get update -qq || return 1
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The nightly toolchain (stage fuzz) and the cross targets (targets, kotlin,
# wasm, windows, dist).
rustup_step() {
  have rustup || return 0
  rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal || return 1
  rustup target add wasm32-unknown-unknown x86_64-pc-windows-msvc i686-pc-windows-msvc \
    x86_64-pc-windows-gnu i686-pc-windows-gnu aarch64-linux-android armv7-linux-androideabi \
    x86_64-unknown-linux-musl >/dev/null
}

# The cargo-installed tools (fuzz: cargo-fuzz; deny: cargo-deny; wasm:
# wasm-bindgen-cli at the version wasm/build.sh pins). Compiled at a lower
# priority than the stage in the foreground, in the CPU time its linking and
# test runs leave idle.
cargo_fuzz_step() {
  have cargo || return 0
  have cargo-fuzz || nice -n 10 cargo install --quiet cargo-fuzz --locked
}
tools_step() {
  have cargo || return 0
  local wb
  have cargo-deny || nice -n 10 cargo install --quiet cargo-deny --locked || return 1
  wb=$(sed -n 's/^WASM_BINDGEN_VERSION=//p' wasm/build.sh)
  [ -n "$wb" ] || return 1
  [ "$(wasm-bindgen --version 2>/dev/null || true)" = "wasm-bindgen $wb" ] ||
    nice -n 10 cargo install --quiet wasm-bindgen-cli --debug --version "$wb" || return 1
}

apt_step; mark apt $?
rustup_step; mark rustup $?
cargo_fuzz_step; mark cargo-fuzz $?
tools_step; mark tools $?
touch "$dir/all.done"
