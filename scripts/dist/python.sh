#!/usr/bin/env bash
# The Python packages:
#
#   dist/python/wxface-<v>-cp39-abi3-manylinux2014_x86_64….whl   production (manylinux2014 = glibc 2.17+)
#   dist/python/wxface-<v>-cp39-abi3-win_amd64.whl                production, Windows x64 (mingw-w64)
#   dist/python/wxface-<v>.tar.gz                                 sdist (builds with a Rust toolchain)
#   dist/python/wxface_sandbox-<v>-cp39-abi3-manylinux2014….whl    the test kit (sandbox, emulated kiosk, pytest plugin)
#
#   scripts/dist/python.sh wheels   the two Linux wheels only (what bindings-py/test.sh installs)
#   scripts/dist/python.sh build    everything above, checked
#   scripts/dist/python.sh verify   pypiserver on loopback, twine upload, pip install into a new
#                                   venv, the HIS example's tests against the
#                                   installed packages, and every Python block of the READMEs run
#
# manylinux2014 for real: maturin links with zig (PyPI `ziglang`) against
# glibc 2.17's symbols, and auditwheel confirms the tag.
source "$(dirname "$0")/common.sh"
OUT=$DIST/python
TOOLS=$DIST_PY_TOOLS
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
WIN=x86_64-pc-windows-gnu

tools() {
  if [ ! -x "$TOOLS/bin/python" ]; then python3 -m venv "$TOOLS"; fi
  "$TOOLS/bin/python" -m pip install --quiet --disable-pip-version-check \
    maturin==1.16.0 ziglang==0.17.1 auditwheel==6.8.2 twine==7.0.0 pypiserver==2.4.2 passlib \
    || dist_die "pip install of the Python packaging tools failed"
  export PATH=$TOOLS/bin:$PATH
}

wheels() {
  tools
  mkdir -p "$OUT"
  rm -f "$OUT"/wxface-*manylinux*.whl "$OUT"/wxface_sandbox-*.whl
  dist_step "python: wxface wheel (release, zig, manylinux2014)"
  dist_timed "maturin build wxface" \
    maturin build --release --zig --compatibility manylinux2014 --manifest-path "$ROOT/bindings-py/Cargo.toml" \
    --interpreter python3 --out "$OUT" || dist_die "maturin build (wxface) failed"
  dist_step "python: wxface-sandbox wheel (release, zig, manylinux2014)"
  (cd "$ROOT/bindings-py/sandbox" && dist_timed "maturin build wxface-sandbox" \
    maturin build --release --zig --compatibility manylinux2014 --interpreter python3 --out "$OUT") \
    || dist_die "maturin build (wxface-sandbox) failed"
}

# The production wheel holds nothing of the sandbox: no kit module, no plugin,
# no sandbox route or class name in the native library.
check_no_sandbox() {
  local whl=$1 tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && python3 -m zipfile -e "$whl" .)
  if find "$tmp" -name 'pytest_plugin*' -o -name 'wxface_sandbox*' | grep -q .; then
    rm -rf "$tmp"; dist_die "$(basename "$whl") contains test-kit files"
  fi
  local lib
  lib=$(find "$tmp" -name '_native*.so' -o -name '_native*.pyd' | head -n 1)
  [ -n "$lib" ] || { rm -rf "$tmp"; dist_die "$(basename "$whl") has no native module"; }
  if strings -a "$lib" | grep -E '/_emu/|/_sandbox/|SandboxCredentials|EmulatedKiosk|wxface_sandbox' | head -n 3 | grep -q .; then
    strings -a "$lib" | grep -E '/_emu/|/_sandbox/|SandboxCredentials|EmulatedKiosk|wxface_sandbox' | head -n 5 >&2
    rm -rf "$tmp"; dist_die "the native library of $(basename "$whl") carries sandbox code (above)"
  fi
  rm -rf "$tmp"
  echo "dist: $(basename "$whl"): no sandbox inside"
}

# maturin puts every path dependency of the workspace into the sdist, dev
# dependencies included: wxface-client's tests use the sandbox (and, through
# it, wxface-capture). A build from the sdist compiles none of them, so they
# are taken out, with their lines in the manifests (cargo then resolves
# without them).
strip_sdist() {
  python3 - "$1" <<'PY'
import io, re, sys, tarfile
path = sys.argv[1]
drop = ("sandbox", "capture")
with tarfile.open(path, "r:gz") as t:
    members = [(m, t.extractfile(m).read() if m.isfile() else None) for m in t.getmembers()]
out = io.BytesIO()
with tarfile.open(fileobj=out, mode="w:gz", format=tarfile.PAX_FORMAT) as t:
    for m, data in members:
        parts = m.name.split("/")
        if len(parts) > 1 and parts[1] in drop:
            continue
        if data is not None and parts[1:] == ["Cargo.toml"]:
            text = data.decode()
            text = re.sub(r'members = \[[^\]]*\]', lambda x: re.sub(r',?\s*"(sandbox|capture)"', "", x.group(0)), text)
            text = re.sub(r'(?m)^wxface-(sandbox|capture) = \{ path = "(sandbox|capture)"[^\n]*\n', "", text)
            data = text.encode()
        elif data is not None and len(parts) == 3 and parts[2] == "Cargo.toml":
            data = re.sub(rb'(?m)^wxface-(sandbox|capture)(\.workspace = true| = \{[^\n]*\})\n', b"", data)
        if data is not None:
            m.size = len(data)
            t.addfile(m, io.BytesIO(data))
        else:
            t.addfile(m)
open(path, "wb").write(out.getvalue())
PY
}

build() {
  tools
  rm -rf "$OUT" && mkdir -p "$OUT"
  wheels
  local prod kit
  prod=$(ls "$OUT"/wxface-*manylinux*.whl)
  kit=$(ls "$OUT"/wxface_sandbox-*.whl)

  dist_step "python: auditwheel show (the manylinux policy is the one claimed)"
  local w
  for w in "$prod" "$kit"; do
    auditwheel show "$w" | tee "$OUT/.auditwheel" | sed -n '1,4p'
    tr '\n' ' ' <"$OUT/.auditwheel" | grep -q 'consistent with the following platform tag: "manylinux_2_17_x86_64"' \
      || dist_die "auditwheel does not find $(basename "$w") manylinux_2_17 (manylinux2014)"
  done
  rm -f "$OUT/.auditwheel"
  check_no_sandbox "$prod"

  dist_step "python: wxface wheel for Windows x64 ($WIN, release, mingw-w64)"
  rustup target add "$WIN" >/dev/null
  dist_apt gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64
  dist_timed "maturin build wxface ($WIN)" \
    maturin build --release --target "$WIN" --features generate-import-lib \
    --manifest-path "$ROOT/bindings-py/Cargo.toml" --out "$OUT" \
    || dist_die "maturin build (wxface, $WIN) failed"
  local winwhl tmp
  winwhl=$(ls "$OUT"/wxface-*-win_amd64.whl 2>/dev/null) || dist_die "no win_amd64 wheel"
  tmp=$(mktemp -d)
  (cd "$tmp" && python3 -m zipfile -e "$winwhl" .)
  dist_pe_imports_ok "$(find "$tmp" -name '_native*.pyd' | head -n 1)"
  rm -rf "$tmp"
  check_no_sandbox "$winwhl"

  dist_step "python: sdist of wxface"
  maturin sdist --manifest-path "$ROOT/bindings-py/Cargo.toml" --out "$OUT" || dist_die "maturin sdist failed"
  local sdist
  sdist=$(ls "$OUT"/wxface-*.tar.gz)
  strip_sdist "$sdist"
  # The sdist carries the production crates only: not the sandbox crate, not
  # the kit's crate or Python package.
  if tar tzf "$sdist" | grep -E '^[^/]+/(sandbox|sdk-emu|bindings-py/sandbox)/|wxface_sandbox|pytest_plugin' | head -n 5 | grep .; then
    dist_die "$(basename "$sdist") contains test-kit sources (above)"
  fi
  echo "dist: $(basename "$sdist"): no sandbox inside"
  dist_step "python: the sdist builds (pip wheel from it; dev profile, reusing the target dir)"
  tmp=$(mktemp -d)
  CARGO_TARGET_DIR=$TARGET_DIR MATURIN_PEP517_ARGS="--profile dev" dist_timed "pip wheel (sdist)" \
    "$TOOLS/bin/python" -m pip wheel --quiet --no-deps --wheel-dir "$tmp" "$sdist" \
    || { rm -rf "$tmp"; dist_die "the sdist does not build"; }
  ls "$tmp"/wxface-*.whl >/dev/null || { rm -rf "$tmp"; dist_die "the sdist built no wheel"; }
  rm -rf "$tmp"

  {
    printf '%s\twxface-py\tdefault\tx86_64-unknown-linux-gnu\n' "$(basename "$prod")"
    printf '%s\twxface-py\tgenerate-import-lib\t%s\n' "$(basename "$winwhl")" "$WIN"
    printf '%s\twxface-py\tdefault\tx86_64-unknown-linux-gnu\n' "$(basename "$sdist")"
    printf '%s\twxface-sandbox-py\tdefault\tx86_64-unknown-linux-gnu\n' "$(basename "$kit")"
  } >"$OUT/MANIFEST.tsv"
  ls -l "$OUT"
}

# Every ```python block of the given READMEs, each run in a fresh interpreter
# from $2 (a scratch directory) with the installed packages, configured by
# WXFACE_* variables for a sandbox of the installed test kit (as a HIS is
# configured for WeChat Pay). A block whose first line is `# not run:
# <reason>` is only compiled.
readme_blocks() {
  local py=$1 work=$2
  shift 2
  "$py" - "$work" "$@" <<'PY'
import ast, os, pathlib, re, subprocess, sys
import wxface_sandbox
work = pathlib.Path(sys.argv[1])
ran = skipped = 0
with wxface_sandbox.Sandbox() as sb:
    c = sb.credentials
    env = dict(os.environ,
        WXFACE_BASE_URL=sb.url, WXFACE_APPID=c.appid, WXFACE_MCH_ID=c.mch_id, WXFACE_V2_KEY=c.v2_key,
        WXFACE_MERCHANT_KEY_PEM=c.merchant_key_pem, WXFACE_MERCHANT_SERIAL_NO=c.merchant_serial_no,
        WXFACE_PLATFORM_PUBLIC_KEY_ID=c.platform_public_key_id,
        WXFACE_PLATFORM_PUBLIC_KEY_PEM=c.platform_public_key_pem, WXFACE_PADDING=c.padding)
    for readme in sys.argv[2:]:
        text = pathlib.Path(readme).read_text(encoding="utf-8")
        for n, m in enumerate(re.finditer(r"^```python\n(.*?)^```", text, re.S | re.M), 1):
            code = m.group(1)
            where = f"{readme} block {n} (line {text[:m.start()].count(chr(10)) + 1})"
            compile(code, where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
            if code.lstrip().startswith("# not run:"):
                skipped += 1
                continue
            f = work / f"block_{ran + skipped}.py"
            f.write_text(code, encoding="utf-8")
            r = subprocess.run([sys.executable, str(f)], cwd=work, env=env, capture_output=True, text=True, timeout=300)
            if r.returncode != 0:
                sys.stderr.write(f"--- {where} failed:\n{code}\n--- output:\n{r.stdout}{r.stderr}\n")
                sys.exit(1)
            ran += 1
print(f"README blocks: {ran} run, {skipped} compiled only (marked `# not run:`)")
PY
}

verify() {
  tools
  ls "$OUT"/wxface-*manylinux*.whl "$OUT"/wxface_sandbox-*.whl "$OUT"/wxface-*.tar.gz >/dev/null \
    || dist_die "dist/python is incomplete: run scripts/dist/python.sh build first"
  local tmp port pid
  tmp=$(mktemp -d)
  mkdir -p "$tmp/packages"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  dist_step "python: pypiserver on 127.0.0.1:$port"
  "$TOOLS/bin/pypi-server" run -i 127.0.0.1 -p "$port" -a . -P . "$tmp/packages" >"$tmp/pypiserver.log" 2>&1 &
  pid=$!
  # shellcheck disable=SC2064
  trap "kill $pid 2>/dev/null || true; rm -rf '$tmp'" EXIT
  local i
  for i in $(seq 1 50); do
    curl -fsS "http://127.0.0.1:$port/simple/" >/dev/null 2>&1 && break
    sleep 0.2
  done
  curl -fsS "http://127.0.0.1:$port/simple/" >/dev/null || { cat "$tmp/pypiserver.log"; dist_die "pypiserver did not start"; }

  dist_step "python: twine upload (wheels and sdist)"
  "$TOOLS/bin/twine" upload --non-interactive --disable-progress-bar \
    --repository-url "http://127.0.0.1:$port/" -u wxface -p unused \
    "$OUT"/*.whl "$OUT"/*.tar.gz || dist_die "twine upload failed"

  dist_step "python: pip install wxface wxface-sandbox from it, into a new venv"
  python3 -m venv "$tmp/venv"
  local py=$tmp/venv/bin/python
  "$py" -m pip install --quiet --disable-pip-version-check --no-cache-dir \
    --index-url "http://127.0.0.1:$port/simple/" wxface wxface-sandbox \
    || dist_die "pip install wxface wxface-sandbox from the local index failed"
  "$py" -m pip install --quiet --disable-pip-version-check pytest cryptography flask requests mypy \
    || dist_die "pip install of the test requirements failed"
  (cd "$tmp" && "$py" - "$tmp/venv" <<'PY'
import pathlib, sys, wxface, wxface_sandbox
venv = pathlib.Path(sys.argv[1]).resolve()
for m in (wxface, wxface_sandbox):
    where = pathlib.Path(m.__file__).resolve()
    assert venv in where.parents, f"{m.__name__} imported from {where}, not from the venv"
print("installed:", wxface.__version__, wxface.__file__)
PY
  ) || dist_die "the packages are not the installed ones"

  dist_step "python: the HIS example's tests, against the installed packages"
  # Run from a scratch directory: the source tree's bindings-py/python is on
  # no path, so `import wxface` can only find the installed package. (The
  # binding's own suite runs on the same wheel files in bindings-py/test.sh,
  # stage `python`, from outside the source tree too.)
  (cd "$tmp" && "$py" -m pytest -p no:cacheprovider -q "$ROOT/examples/his-python/tests") \
    || dist_die "tests against the installed packages failed"

  dist_step "python: every Python block of the READMEs, against the installed packages"
  mkdir -p "$tmp/readme"
  readme_blocks "$py" "$tmp/readme" "$ROOT/README.md" "$ROOT/bindings-py/README.md" \
    "$ROOT/bindings-py/sandbox/README.md" "$ROOT/examples/his-python/README.md" \
    || dist_die "a README example does not run (above)"
}

case "${1:-}" in
  wheels) wheels ;;
  build) build ;;
  verify) verify ;;
  *) echo "usage: $0 wheels|build|verify" >&2; exit 2 ;;
esac
