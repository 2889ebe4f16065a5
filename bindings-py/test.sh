#!/usr/bin/env bash
# The Python binding's suite: builds the wheel with maturin into
# target/wheels, installs it into the venv target/venv, checks the type
# stubs against the module, and runs the binding's tests and the HIS
# example's tests (both against the embedded sandbox).
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
  maturin==1.16.0 pytest cryptography flask requests mypy \
  || die "pip install failed"

say "maturin build (release, abi3 wheel)"
mkdir -p "$ROOT/target/wheels"
rm -f "$ROOT"/target/wheels/wxface-*.whl
"$VENV/bin/maturin" build --release --manifest-path bindings-py/Cargo.toml \
  --interpreter "$PY" --out "$ROOT/target/wheels" \
  || die "maturin build failed"
WHEEL=$(ls -t "$ROOT"/target/wheels/wxface-*.whl 2>/dev/null | head -n 1)
[ -n "$WHEEL" ] || die "no wheel in target/wheels"
"$PY" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$WHEEL" \
  || die "cannot install $WHEEL"

# Run from a neutral directory so that `import wxface` is the installed
# wheel, not the source tree.
cd "$ROOT/target"

say "type stubs match the module (mypy.stubtest)"
"$PY" -m mypy.stubtest wxface --allowlist "$ROOT/bindings-py/stubtest-allowlist.txt" \
  || die "the .pyi stubs drifted from the module"
"$PY" -m mypy --strict -p wxface || die "mypy --strict found problems in the package"

say "pytest"
TESTS=("$ROOT/bindings-py/tests")
if [ -d "$ROOT/examples/his-python/tests" ]; then
  TESTS+=("$ROOT/examples/his-python/tests")
fi
"$PY" -m pytest -p no:cacheprovider -q "${TESTS[@]}" "$@" || die "tests failed"
