#!/usr/bin/env bash
# The emulator library from C, under valgrind.
#
# Builds tests/c-abi/call_emu.c with cc, starts the sandbox binary, and runs
# the program against target/debug/libwxface_sdk_emu.so twice under
# `valgrind --leak-check=full --error-exitcode=1`: once with a sandbox (the
# whole flow: init, rawdata, recognition, consent, quit, release) and once
# without one (boundary contract, SYSTEMERROR answer). Builds the library and
# the sandbox first when they are missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
LIB=$TARGET/debug/libwxface_sdk_emu.so
SANDBOX=$TARGET/debug/wxface-sandbox

for tool in cc valgrind python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "c-abi: $tool is required" >&2; exit 1; }
done
[ -f "$LIB" ] || cargo build -p wxface-sdk-emu
[ -x "$SANDBOX" ] || cargo build -p wxface-sandbox --bin wxface-sandbox

WORK=$(mktemp -d)
SANDBOX_PID=
cleanup() {
  if [ -n "$SANDBOX_PID" ]; then
    kill "$SANDBOX_PID" 2>/dev/null || true
    wait "$SANDBOX_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

cc -std=c11 -Wall -Wextra -Werror -g -O0 -o "$WORK/call_emu" tests/c-abi/call_emu.c -ldl

"$SANDBOX" --port 0 --keys-dir "$WORK/keys" >"$WORK/sandbox.out" 2>"$WORK/sandbox.err" &
SANDBOX_PID=$!
URL=
for _ in $(seq 1 300); do
  URL=$(sed -n 's/^url: //p' "$WORK/sandbox.out")
  [ -n "$URL" ] && break
  kill -0 "$SANDBOX_PID" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$URL" ]; then
  echo "c-abi: the sandbox did not start" >&2
  cat "$WORK/sandbox.err" >&2
  exit 1
fi

VALGRIND=(valgrind --quiet --leak-check=full --show-leak-kinds=definite,possible
  --errors-for-leak-kinds=definite,possible --error-exitcode=1)

echo "c-abi: with the sandbox at $URL"
WXFACE_EMU_SANDBOX_URL=$URL \
WXFACE_EMU_DEVICE_ID=CABI-KIOSK-01 \
WXFACE_SANDBOX_KEYS_DIR=$WORK/keys \
WXFACE_AUTHINFO_CMD="python3 $ROOT/tests/c-abi/authinfo.py" \
  "${VALGRIND[@]}" "$WORK/call_emu" "$LIB"

echo "c-abi: without a sandbox"
env -u WXFACE_EMU_SANDBOX_URL "${VALGRIND[@]}" "$WORK/call_emu" "$LIB"
