#!/usr/bin/env bash
# The npm packages of the Node binding.
#
#   scripts/dist/node.sh build    release addons → dist/node/*.tgz + MANIFEST.tsv
#   scripts/dist/node.sh verify   publish dist/node and dist/wasm to a verdaccio
#                                 on loopback, install them in a new directory
#                                 and run examples/kiosk-node's tests and the
#                                 READMEs' code blocks against them
#
# Packages (napi-rs layout: the loader native.js requires the per-platform
# package of the running platform):
#   @wxface/node                JS + d.ts, no addon; optionalDependencies on:
#   @wxface/node-linux-x64-gnu  x86_64-unknown-linux-gnu, glibc 2.17+ (zig), features `merchant`
#   @wxface/node-win32-x64-msvc, @wxface/node-win32-ia32-msvc
#                               mingw-w64 builds linked against node.exe's N-API
#                               exports (kiosk-only; WXFACE_DIST_NODE_WINDOWS=0 leaves them out)
#   @wxface/dev                 the test kit (JS), optionalDependencies on:
#   @wxface/dev-linux-x64-gnu   its addon (features `dev`: sandbox, dev server)
#                               and the face SDK emulator library
# The production packages hold none of the sandbox: checked on the tarballs.
set -euo pipefail
. "$(dirname "$0")/common.sh"

OUT=$DIST/node
BINDING=$ROOT/bindings-node
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
LINUX=x86_64-unknown-linux-gnu
TOOLS=${WXFACE_NODE_TOOLS:-$TARGET_DIR/dist-node-tools}

need_node() {
  dist_have node && dist_have npm || dist_die "node and npm are needed (Node >= 18.19)"
}

# write_pkg <dir> <json>: package.json of a staged package.
write_pkg() { printf '%s\n' "$2" >"$1/package.json"; }

# platform_pkg <dir> <name> <os> <cpu> <libc|-> <main> <description>
platform_pkg() {
  local dir=$1 name=$2 os=$3 cpu=$4 libc=$5 main=$6 desc=$7 libc_field=
  [ "$libc" = - ] || libc_field="\"libc\": [\"$libc\"],"
  mkdir -p "$dir"
  write_pkg "$dir" "{
  \"name\": \"$name\",
  \"version\": \"$VERSION\",
  \"description\": \"$desc\",
  \"license\": \"Apache-2.0\",
  \"main\": \"$main\",
  \"files\": [\"*.node\", \"*.so\", \"*.dll\", \"README.md\"],
  \"os\": [\"$os\"],
  \"cpu\": [\"$cpu\"],
  $libc_field
  \"engines\": { \"node\": \">= 18.19\" }
}"
  printf '# %s\n\n%s\n\nInstalled by its parent package as an optional dependency; not meant to be installed alone.\n' \
    "$name" "$desc" >"$dir/README.md"
}

# no_sandbox <file>…: a production artefact holds no sandbox route or dev server.
no_sandbox() {
  local f hits
  for f in "$@"; do
    hits=$(strings -a "$f" | grep -E '/_emu/|/_sandbox/|/_dev/|startDevServer' | head -3 || true)
    [ -z "$hits" ] || dist_die "$(basename "$f") holds sandbox code: $hits"
  done
}

pack() { # pack <dir>: npm pack into $OUT, echo the tarball name
  (cd "$1" && npm pack --silent --pack-destination "$OUT") | tail -n1
}

build() {
  need_node
  dist_apt binutils
  export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}
  rm -rf "$OUT"
  mkdir -p "$OUT"
  local stage
  stage=$(mktemp -d)
  trap 'rm -rf "$stage"' RETURN
  : >"$OUT/MANIFEST.tsv"
  manifest() { printf '%s\t%s\t%s\t%s\n' "$@" >>"$OUT/MANIFEST.tsv"; }

  # Production addon: no `dev` (no sandbox, no dev server). Linked with zig
  # against glibc 2.17 (common.sh), like the wheel.
  dist_zig
  local rel=$TARGET_DIR/$LINUX/release
  dist_timed "cargo zigbuild --release -p wxface-node --features merchant ($LINUX.$DIST_GLIBC)" \
    cargo zigbuild --manifest-path "$ROOT/Cargo.toml" --release --target "$LINUX.$DIST_GLIBC" \
    -p wxface-node --no-default-features --features merchant || dist_die "cargo zigbuild (wxface-node) failed"
  dist_glibc_ok "$rel/libwxface_node.so"
  platform_pkg "$stage/node-linux-x64-gnu" @wxface/node-linux-x64-gnu linux x64 glibc wxface.linux-x64-gnu.node \
    "The @wxface/node addon for Linux x64 (glibc 2.17 or later)."
  cp "$rel/libwxface_node.so" "$stage/node-linux-x64-gnu/wxface.linux-x64-gnu.node"

  # The test kit's addon: the binding with `dev`, and the emulator library.
  # (Built after the production addon was copied: both are libwxface_node.so.)
  dist_timed "cargo zigbuild --release -p wxface-node -p wxface-sdk-emu (features dev, $LINUX.$DIST_GLIBC)" \
    cargo zigbuild --manifest-path "$ROOT/Cargo.toml" --release --target "$LINUX.$DIST_GLIBC" \
    -p wxface-node -p wxface-sdk-emu || dist_die "cargo zigbuild (the kit's addon) failed"
  dist_glibc_ok "$rel/libwxface_node.so"
  dist_glibc_ok "$rel/libwxface_sdk_emu.so"
  platform_pkg "$stage/dev-linux-x64-gnu" @wxface/dev-linux-x64-gnu linux x64 glibc wxface-dev.node \
    "The @wxface/dev test kit for Linux x64 (glibc 2.17 or later): sandbox, dev server, face SDK emulator library. Development and tests only."
  cp "$rel/libwxface_node.so" "$stage/dev-linux-x64-gnu/wxface-dev.node"
  cp "$rel/libwxface_sdk_emu.so" "$stage/dev-linux-x64-gnu/libwxface_sdk_emu.so"

  if [ "${WXFACE_DIST_NODE_WINDOWS:-1}" = 1 ]; then
    build_windows "$stage"
  else
    WIN_PKGS=
  fi

  # @wxface/node: the binding's JS and declarations, without the `dev`
  # namespace (it is @wxface/dev's).
  local p=$stage/node
  mkdir -p "$p"
  cp -r "$BINDING/index.js" "$BINDING/index.mjs" "$BINDING/index.d.ts" "$BINDING/native.js" "$BINDING/native.d.ts" \
    "$BINDING/lib" "$BINDING/README.md" "$p/"
  node -e '
    const fs = require("fs"); let s = fs.readFileSync(process.argv[1], "utf8")
    const cut = (re, what) => { const t = s.replace(re, ""); if (t === s) { console.error("native.d.ts: no " + what); process.exit(1) } s = t }
    cut(/^export declare namespace dev \{[\s\S]*?^\}\n/m, "dev namespace")
    cut(/^  \/\*\*(?:(?!\*\/)[\s\S])*\*\/\n  static emulator\(.*\n/m, "FaceSdk.emulator")
    cut(/^\/\*\*(?:(?!\*\/)[\s\S])*\*\/\nexport interface EmulatorOptions \{[\s\S]*?^\}\n/m, "EmulatorOptions")
    fs.writeFileSync(process.argv[2], s)
  ' "$BINDING/native.d.ts" "$p/native.d.ts"
  sed -i '/development: sandbox and reference merchant server/d; /^  dev,$/d' "$p/index.mjs"
  node -e '
    const fs = require("fs"); const [src, dst, version, plats] = process.argv.slice(1)
    const pkg = JSON.parse(fs.readFileSync(src, "utf8"))
    delete pkg.devDependencies; delete pkg.scripts; delete pkg.napi
    pkg.files = pkg.files.filter((f) => f !== "*.node")
    pkg.optionalDependencies = Object.fromEntries(plats.split(",").map((n) => [n, version]))
    fs.writeFileSync(dst, JSON.stringify(pkg, null, 2) + "\n")
  ' "$BINDING/package.json" "$p/package.json" "$VERSION" "@wxface/node-linux-x64-gnu${WIN_PKGS:-}"

  # @wxface/dev (JS)
  # (its platform packages are added here: in the source tree the kit uses
  # the binding's debug addon, and npm ci would look for them)
  cp -r "$BINDING/npm/dev" "$stage/dev"
  node -e '
    const fs = require("fs"); const [f, version] = process.argv.slice(1)
    const pkg = JSON.parse(fs.readFileSync(f, "utf8"))
    pkg.optionalDependencies = { "@wxface/dev-linux-x64-gnu": version }
    fs.writeFileSync(f, JSON.stringify(pkg, null, 2) + "\n")
  ' "$stage/dev/package.json" "$VERSION"

  
  dist_step "node: production artefacts hold no sandbox"
  no_sandbox "$stage"/node-*/*.node
  local leaked
  leaked=$(grep -rlE 'startDevServer|DevServer|static emulator|_sandbox/' "$p" --include='*.js' --include='*.mjs' --include='*.ts' || true)
  [ -z "$leaked" ] || dist_die "@wxface/node JS mentions the dev server: $leaked"
  # …and the check sees it where it is.
  strings -a "$stage/dev-linux-x64-gnu/wxface-dev.node" | grep '/_sandbox/' >/dev/null ||
    dist_die "the sandbox check finds no /_sandbox/ route in the test kit's addon: the check is blind"

  dist_step "node: npm pack"
  local t
  t=$(pack "$p"); manifest "$t" wxface-node merchant "$LINUX"
  t=$(pack "$stage/node-linux-x64-gnu"); manifest "$t" wxface-node merchant "$LINUX"
  for w in "${WIN_BUILT[@]:-}"; do
    [ -n "$w" ] || continue
    t=$(pack "$stage/${w%%:*}"); manifest "$t" wxface-node "" "${w#*:}"
  done
  t=$(pack "$stage/dev"); manifest "$t" wxface-node dev "$LINUX"
  t=$(pack "$stage/dev-linux-x64-gnu"); manifest "$t" wxface-node dev "$LINUX"
  # (the emulator library rides in the kit's platform package)
  printf '%s\t%s\t%s\t%s\n' "$t" wxface-sdk-emu default "$LINUX" >>"$OUT/MANIFEST.tsv"

  dist_step "node: artefacts"
  (cd "$OUT" && for f in *.tgz; do printf '%10d  %s\n' "$(wc -c <"$f")" "$f"; done)
}

verify() {
  need_node
  [ -s "$OUT/MANIFEST.tsv" ] || dist_die "no $OUT/MANIFEST.tsv: run scripts/dist/node.sh build first"
  [ -s "$DIST/wasm/MANIFEST.tsv" ] || dist_die "no $DIST/wasm/MANIFEST.tsv: run scripts/dist/wasm.sh build first"
  mkdir -p "$TOOLS"
  if [ ! -x "$TOOLS/node_modules/.bin/verdaccio" ] || [ ! -x "$TOOLS/node_modules/.bin/tsc" ]; then
    dist_step "node: npm install verdaccio@6 typescript@5.9.3 @types/node@20 (into $TOOLS)"
    (cd "$TOOLS" && { [ -f package.json ] || echo '{"private": true}' >package.json; } &&
      npm install --no-audit --no-fund --loglevel=error verdaccio@6 typescript@5.9.3 @types/node@20.19.43) ||
      dist_die "npm install verdaccio failed"
  fi
  local work port reg pid
  work=$(mktemp -d)
  port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  reg=http://127.0.0.1:$port/
  mkdir -p "$work/storage"
  cat >"$work/config.yaml" <<EOF
storage: $work/storage
auth:
  htpasswd:
    file: $work/htpasswd
    max_users: -1
uplinks:
  npmjs:
    url: ${WXFACE_NPM_UPLINK:-https://registry.npmjs.org/}
packages:
  '@wxface/*':
    access: \$all
    publish: \$anonymous
  '**':
    access: \$all
    proxy: npmjs
listen: 127.0.0.1:$port
max_body_size: 200mb
log: { type: file, path: $work/verdaccio.log, level: warn }
EOF
  "$TOOLS/node_modules/.bin/verdaccio" --config "$work/config.yaml" >"$work/verdaccio.out" 2>&1 &
  pid=$!
  trap "kill $pid 2>/dev/null || true; rm -rf '$work'" EXIT
  local i
  for i in $(seq 1 60); do
    curl -fsS "$reg-/ping" >/dev/null 2>&1 && break
    kill -0 $pid 2>/dev/null || { cat "$work/verdaccio.out" >&2; dist_die "verdaccio did not start"; }
    sleep 0.5
  done
  curl -fsS "$reg-/ping" >/dev/null || dist_die "verdaccio does not answer on $reg"
  printf 'dist: verdaccio on %s\n' "$reg"

  dist_step "node: npm publish"
  # Anonymous publish still needs a token in npm's config: any value will do.
  printf '//127.0.0.1:%s/:_authToken=anonymous\n' "$port" >"$work/npmrc"
  export npm_config_userconfig=$work/npmrc npm_config_update_notifier=false
  local f
  for f in "$OUT"/*.tgz "$DIST"/wasm/*.tgz; do
    npm publish --registry "$reg" --loglevel=error "$f" >/dev/null || dist_die "npm publish $(basename "$f") failed"
    printf 'published %s\n' "$(basename "$f")"
  done
  # Windows packages: contents and PE checks (npm refuses them on Linux: os/cpu)
  for f in "$OUT"/wxface-node-win32-*.tgz; do
    [ -e "$f" ] || continue
    check_windows_tgz "$f"
  done

  dist_step "node: install from the registry into a new directory"
  local app=$work/app
  mkdir -p "$app"
  cp -r "$ROOT/examples/kiosk-node/." "$app/"
  rm -rf "$app/node_modules" "$app/package-lock.json"
  node -e '
    const fs = require("fs"); const f = process.argv[1]; const pkg = JSON.parse(fs.readFileSync(f, "utf8"))
    pkg.dependencies = { "@wxface/node": process.argv[2], "@wxface/wasm": process.argv[2] }
    pkg.devDependencies = { "@wxface/dev": process.argv[2] }
    fs.writeFileSync(f, JSON.stringify(pkg, null, 2) + "\n")
  ' "$app/package.json" "$VERSION"
  (cd "$app" && npm install --no-audit --no-fund --loglevel=error --registry "$reg") || dist_die "npm install from $reg failed"
  (cd "$app" && node -e '
    const path = require("path"); const nm = path.join(process.cwd(), "node_modules") + path.sep
    for (const m of ["@wxface/node", "@wxface/dev", "@wxface/wasm", "@wxface/node-linux-x64-gnu"]) {
      const r = require.resolve(m)
      if (!r.startsWith(nm)) { console.error(m + " resolves outside node_modules: " + r); process.exit(1) }
      console.log(m + " -> " + path.relative(process.cwd(), r))
    }
    const wx = require("@wxface/node")
    if (wx.dev !== undefined) { console.error("@wxface/node has a dev namespace"); process.exit(1) }
  ') || dist_die "the installed packages do not resolve from node_modules"

  dist_step "node: examples/kiosk-node tests against the installed packages"
  (cd "$app" && WXFACE_SDK_LIBRARY=$(node -p 'require("@wxface/dev").sdkLibrary') node --test --test-reporter=spec test/) ||
    dist_die "examples/kiosk-node tests failed against the installed packages"

  dist_step "node: tsc --strict over the example against the installed declarations"
  cat >"$app/tsconfig.json" <<'EOF'
{ "compilerOptions": { "strict": true, "noEmit": true, "allowJs": true, "checkJs": true, "module": "nodenext",
  "moduleResolution": "nodenext", "target": "es2022", "skipLibCheck": false, "types": ["node"] },
  "include": ["*.mjs"] }
EOF
  ln -s "$TOOLS/node_modules/@types" "$app/node_modules/@types" 2>/dev/null || true
  (cd "$app" && "$TOOLS/node_modules/.bin/tsc" -p tsconfig.json) || dist_die "tsc --strict on the example failed"

  dist_step "node: README code blocks against the installed packages"
  WXFACE_README_APP=$app WXFACE_TSC=$TOOLS/node_modules/.bin/tsc \
    node "$ROOT/bindings-node/npm/readme-blocks.mjs" "$ROOT/bindings-node/README.md" "$ROOT/wasm/README.md" \
    "$ROOT/examples/kiosk-node/README.md" || dist_die "README code blocks failed"
  printf '\ndist: node verify passed\n'
}

WIN_PKGS=
WIN_BUILT=()
build_windows() { :; }
check_windows_tgz() { :; }
[ -f "$(dirname "$0")/node-windows-lib.sh" ] && . "$(dirname "$0")/node-windows-lib.sh"

case "${1:-}" in
  build) build ;;
  verify) verify ;;
  *) echo "usage: $0 build|verify" >&2; exit 2 ;;
esac
