#!/usr/bin/env bash
# The Python binding's suite: builds the wheels wxface and wxface-sandbox (the
# test kit) as they ship (scripts/dist/python.sh wheels: release,
# manylinux2014, into dist/python), installs them into the venv target/venv,
# checks both packages' type stubs against their modules, and runs the
# binding's tests and the HIS example's tests (against the kit's sandbox).
#
#   bash bindings-py/test.sh            everything
#   bash bindings-py/test.sh -k flow    extra arguments go to pytest
#
# Called by scripts/test.sh (stage `python`). Stops at the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV="$ROOT/target/venv"

say() { printf '\n==> bindings-py: %s\n' "$*"; }
die() { printf '\n!!! bindings-py: %s\n' "$*" >&2; exit 1; }

say "virtual environment $VENV"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV" || die "cannot create the venv (python3 -m venv)"
fi
PY="$VENV/bin/python"
"$PY" -m pip install --quiet --disable-pip-version-check \
  pytest cryptography flask requests mypy \
  || die "pip install failed"

say "the wheels wxface and wxface-sandbox (release, manylinux2014: scripts/dist/python.sh wheels)"
bash "$ROOT/scripts/dist/python.sh" wheels || die "building the wheels failed"
WHEELS=("$ROOT"/dist/python/wxface-*manylinux*.whl "$ROOT"/dist/python/wxface_sandbox-*manylinux*.whl)
"$PY" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "${WHEELS[@]}" \
  || die "cannot install ${WHEELS[*]}"

cd "$ROOT/target"

say "type stubs match the module (mypy.stubtest)"
"$PY" -m mypy.stubtest wxface wxface_sandbox --allowlist "$ROOT/bindings-py/stubtest-allowlist.txt" \
  || die "the .pyi stubs drifted from the module"
"$PY" -m mypy --strict -p wxface -p wxface_sandbox || die "mypy --strict found problems in the packages"

say "pytest"
TESTS=("$ROOT/bindings-py/tests")
if [ -d "$ROOT/examples/his-python/tests" ]; then
  TESTS+=("$ROOT/examples/his-python/tests")
fi
"$PY" -m pytest -p no:cacheprovider -q "${TESTS[@]}" "$@" || die "tests failed"
