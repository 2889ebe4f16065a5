#!/usr/bin/env bash
# The npm package @wxface/wasm: one .wasm (wasm/build.sh: profile
# wasm-release, wasm32-unknown-unknown) with wasm-bindgen glue for browsers
# (`--target web`), Node (`--target nodejs`) and bundlers (`--target
# bundler`); package.json's `exports` picks one by condition (`node`,
# `module`, `browser`, `default`, each with its `types`).
#
#   scripts/dist/wasm.sh build    → dist/wasm/wxface-wasm-<version>.tgz + MANIFEST.tsv
# (scripts/dist/node.sh verify publishes and installs it with the Node packages.)
set -euo pipefail
. "$(dirname "$0")/common.sh"

OUT=$DIST/wasm
HERE=$ROOT/wasm

build() {
  dist_have npm || dist_die "npm is needed"
  rm -rf "$OUT"
  mkdir -p "$OUT"
  dist_timed "wasm/build.sh (cargo wasm-release, wasm-bindgen web/nodejs/bundler, wasm-opt)" bash "$HERE/build.sh"
  for d in web node bundler; do
    [ -f "$HERE/pkg/$d/wxface_wasm_bg.wasm" ] || dist_die "no pkg/$d/wxface_wasm_bg.wasm"
  done
  local t
  t=$(cd "$HERE" && npm pack --silent --pack-destination "$OUT" | tail -n1)
  # The package holds the three builds and nothing of the tests or the sources.
  local listing
  listing=$(tar tzf "$OUT/$t")
  for f in package/pkg/web/wxface_wasm.js package/pkg/node/wxface_wasm.js package/pkg/bundler/wxface_wasm.js \
    package/pkg/bundler/errors.js package/README.md; do
    printf '%s\n' "$listing" | grep -qx "$f" || dist_die "$t lacks $f"
  done
  if printf '%s\n' "$listing" | grep -E '^package/(src|test|js)/|\.rs$'; then dist_die "$t holds sources or tests"; fi
  printf '%s\t%s\t%s\t%s\n' "$t" wxface-wasm default wasm32-unknown-unknown >"$OUT/MANIFEST.tsv"
  printf '%10d  %s\n' "$(wc -c <"$OUT/$t")" "$t"
}

case "${1:-}" in
  build) build ;;
  # Published, installed and tested with the Node packages.
  verify) echo "dist: @wxface/wasm is verified by scripts/dist/node.sh verify (published, installed, its README blocks run)" ;;
  *) echo "usage: $0 build|verify" >&2; exit 2 ;;
esac
