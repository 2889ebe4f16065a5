#!/usr/bin/env bash
# The `wxface` command-line tool as downloadable programs:
#
#   dist/cli/wxface-<version>-linux-x86_64        static (musl), any Linux x86_64
#   dist/cli/wxface-<version>-windows-x86_64.exe  mingw-w64, system DLLs only
#
#   scripts/dist/cli.sh build    build both (release), strip them, check them
#   scripts/dist/cli.sh verify   run the static one (version, the whole demo),
#                                and `cargo install --path cli` into a scratch root
#
# The static program cannot load a shared library, so its `wxface demo` drives
# the face SDK emulator in-process and says so; `merchant serve`, `doctor`,
# `sandbox` and `dev-server` are the same as in any other build.
source "$(dirname "$0")/common.sh"
OUT=$DIST/cli
LINUX=x86_64-unknown-linux-musl
WIN=x86_64-pc-windows-gnu
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
LINUX_BIN=wxface-$VERSION-linux-x86_64
WIN_BIN=wxface-$VERSION-windows-x86_64.exe

build() {
  dist_step "cli: toolchains (rustup targets $LINUX $WIN; apt musl-tools, mingw-w64)"
  rustup target add "$LINUX" "$WIN" >/dev/null
  dist_apt musl-tools gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 file
  rm -rf "$OUT" && mkdir -p "$OUT"

  dist_step "cli: static Linux build ($LINUX, release)"
  dist_timed "cargo build --release --target $LINUX" \
    cargo build --manifest-path "$ROOT/Cargo.toml" --release --target "$LINUX" -p wxface-cli --bin wxface
  cp "$TARGET_DIR/$LINUX/release/wxface" "$OUT/$LINUX_BIN"
  strip "$OUT/$LINUX_BIN"
  file "$OUT/$LINUX_BIN" | grep -Eq 'static-pie linked|statically linked' \
    || dist_die "$LINUX_BIN is not statically linked: $(file -b "$OUT/$LINUX_BIN")"

  dist_step "cli: Windows build ($WIN, release)"
  dist_timed "cargo build --release --target $WIN" \
    cargo build --manifest-path "$ROOT/Cargo.toml" --release --target "$WIN" -p wxface-cli --bin wxface
  cp "$TARGET_DIR/$WIN/release/wxface.exe" "$OUT/$WIN_BIN"
  x86_64-w64-mingw32-strip "$OUT/$WIN_BIN"
  x86_64-w64-mingw32-objdump -f "$OUT/$WIN_BIN" | grep -q 'pei-x86-64' \
    || dist_die "$WIN_BIN is not an x86-64 PE program"
  dist_pe_imports_ok "$OUT/$WIN_BIN"

  printf '%s\t%s\t%s\t%s\n' \
    "$LINUX_BIN" wxface-cli default "$LINUX" \
    "$WIN_BIN" wxface-cli default "$WIN" >"$OUT/MANIFEST.tsv"
  ls -l "$OUT"
}

verify() {
  [ -x "$OUT/$LINUX_BIN" ] || dist_die "no $OUT/$LINUX_BIN: run scripts/dist/cli.sh build first"
  local tmp
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  dist_step "cli: the static program on its own (no library, no data beside it)"
  cp "$OUT/$LINUX_BIN" "$tmp/wxface"
  "$tmp/wxface" --version | grep -qx "wxface $VERSION" || dist_die "$LINUX_BIN --version is not 'wxface $VERSION'"
  (cd "$tmp" && HOME="$tmp" XDG_DATA_HOME="$tmp/data" ./wxface demo >"$tmp/demo.log" 2>&1) \
    || { cat "$tmp/demo.log"; dist_die "$LINUX_BIN demo failed"; }
  grep -q '^result: verified' "$tmp/demo.log" || { cat "$tmp/demo.log"; dist_die "$LINUX_BIN demo did not verify"; }
  echo "dist: $LINUX_BIN demo: verified"

  dist_step "cli: cargo install --path cli (debug profile, reusing the workspace's build)"
  CARGO_TARGET_DIR=$TARGET_DIR cargo install --quiet --locked --debug --path "$ROOT/cli" --root "$tmp/root" \
    || dist_die "cargo install --path cli failed"
  "$tmp/root/bin/wxface" --version | grep -qx "wxface $VERSION" || dist_die "the installed wxface does not run"
  echo "dist: cargo install --path cli: $("$tmp/root/bin/wxface" --version)"
}

case "${1:-}" in
  build) build ;;
  verify) verify ;;
  *) echo "usage: $0 build|verify" >&2; exit 2 ;;
esac
