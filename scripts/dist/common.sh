# Shared by scripts/dist/*.sh (sourced). Sets ROOT, VERSION and DIST, and
# defines small helpers.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DIST=$ROOT/dist
VERSION=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' "$ROOT/Cargo.toml")
[ -n "$VERSION" ] || { echo "dist: no [workspace.package] version in Cargo.toml" >&2; exit 1; }
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

dist_die() { printf '\n!!! dist: %s\n' "$*" >&2; exit 1; }
dist_step() { printf '\n--> dist: %s\n' "$*"; }
dist_have() { command -v "$1" >/dev/null 2>&1; }

# dist_apt <package>…: install the Debian packages not yet installed.
dist_apt() {
  local missing=() p sudo=
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -gt 0 ] || return 0
  dist_have apt-get || dist_die "missing ${missing[*]} and no apt-get"
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || dist_die "apt-get install ${missing[*]} failed"
}

# dist_timed <label> <command>…: run it and print its wall time.
dist_timed() {
  local label=$1 t0 rc=0
  shift
  t0=$(date +%s)
  "$@" || rc=$?
  printf 'dist: %s took %d s\n' "$label" "$(($(date +%s) - t0))"
  return $rc
}

# dist_pe_imports_ok <file.dll|file.exe|file.node|file.pyd>: the PE file
# imports only DLLs every Windows has (no MinGW runtime DLLs to ship).
dist_pe_imports_ok() {
  local f=$1 dlls bad
  dlls=$(x86_64-w64-mingw32-objdump -p "$f" | sed -n 's/^\s*DLL Name: //p' | sort -u)
  [ -n "$dlls" ] || dist_die "$f: objdump lists no imported DLL"
  bad=$(printf '%s\n' "$dlls" | grep -viE '^(kernel32|advapi32|bcrypt|bcryptprimitives|ntdll|ws2_32|userenv|msvcrt|crypt32|secur32|ncrypt|ole32|oleaut32|shell32|user32|iphlpapi|dbghelp|ktmw32|node\.exe|python3\.dll|api-ms-win-[a-z0-9-]+\.dll)(\.dll)?$' || true)
  [ -z "$bad" ] || dist_die "$f imports DLLs that Windows does not have: $bad"
  printf 'dist: %s imports only system DLLs: %s\n' "$(basename "$f")" "$(echo $dlls)"
}

# The Linux artefacts (wheels, Node addons, the JVM native) are linked with
# zig against glibc 2.17's symbols, the oldest that manylinux2014 (CentOS 7,
# still under many hospital systems) has: they load on any glibc since.
DIST_GLIBC=2.17
DIST_GNU=x86_64-unknown-linux-gnu
DIST_PY_TOOLS=$ROOT/target/dist-py-tools

# dist_zig: zig and cargo-zigbuild (both from PyPI) in the packaging venv,
# on PATH (cargo-zigbuild runs zig as `python3 -m ziglang`).
dist_zig() {
  [ -x "$DIST_PY_TOOLS/bin/python" ] || python3 -m venv "$DIST_PY_TOOLS"
  "$DIST_PY_TOOLS/bin/python" -m pip install --quiet --disable-pip-version-check \
    ziglang==0.17.1 cargo-zigbuild==0.24.1 || dist_die "pip install ziglang cargo-zigbuild failed"
  export PATH=$DIST_PY_TOOLS/bin:$PATH
}

# dist_glibc_ok <file.so>: it needs no glibc symbol version newer than
# $DIST_GLIBC.
dist_glibc_ok() {
  local f=$1 max
  max=$(objdump -T "$f" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/^GLIBC_//' | sort -uV | tail -n1)
  [ -n "$max" ] || dist_die "$(basename "$f"): objdump -T shows no versioned glibc symbol"
  [ "$(printf '%s\n%s\n' "$max" "$DIST_GLIBC" | sort -V | tail -n1)" = "$DIST_GLIBC" ] ||
    dist_die "$(basename "$f") needs glibc $max, newer than $DIST_GLIBC"
  printf 'dist: %s needs glibc %s at most (limit %s)\n' "$(basename "$f")" "$max" "$DIST_GLIBC"
}
