#!/usr/bin/env bash
# Minimise the committed corpus of fuzz targets, folding in new inputs.
#
#   fuzz/cmin.sh TARGET [EXTRA_DIR...]
#
# Copies EXTRA_DIR/* (e.g. a long run's corpus, or fuzz/corpus-raw/TARGET
# from fuzz/seeds.py) into fuzz/corpus/TARGET, then `cargo fuzz cmin` with
# libFuzzer's set-cover merge over edges only (no hit-count buckets, no
# comparison features) and inputs of at most 2 KiB: the smallest set that
# keeps every covered edge, so the committed corpus stays small.
set -euo pipefail
cd "$(dirname "$0")/.."
t=$1
shift
mkdir -p "fuzz/corpus/$t"
for d in "$@"; do
  find "$d" -maxdepth 1 -type f -exec cp -t "fuzz/corpus/$t" {} +
done
nice -n 19 cargo +nightly fuzz cmin "$t" "fuzz/corpus/$t" -- \
  -set_cover_merge=1 -use_counters=0 -use_cmp=0 -max_len=2048
