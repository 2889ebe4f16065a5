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
