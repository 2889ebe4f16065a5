#!/usr/bin/env bash
# The JVM package cn.wxface:wxface (bindings-kotlin): the Kotlin of
# kotlin/main, kotlin/merchant and kotlin/coroutines with the generated
# UniFFI Kotlin, and the release natives in JNA's resource layout
# (linux-x86-64/libwxface_kotlin.so, win32-x86-64/wxface_kotlin.dll; features
# merchant,suspend,http — no sandbox), its sources jar and its POM, deployed
# with Maven's own tool into the file repository dist/maven.
#
#   scripts/dist/jvm.sh build    → dist/maven/cn/wxface/wxface/<version>/…,
#                                  dist/jvm/*.jar + MANIFEST.tsv
#   scripts/dist/jvm.sh verify   → a Maven project (bindings-kotlin/consumer/maven)
#                                  and a plain javac/java program, both against the
#                                  installed jar and a `wxface sandbox serve` process
set -euo pipefail
. "$(dirname "$0")/common.sh"

OUT=$DIST/jvm
REPO=$DIST/maven
HERE=$ROOT/bindings-kotlin
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
WORK=$TARGET_DIR/kotlin-dist
FEATURES=merchant,suspend,http
LINUX=x86_64-unknown-linux-gnu
WIN=x86_64-pc-windows-gnu

tools() {
  dist_have java && dist_have javac || dist_apt openjdk-17-jdk-headless
  dist_have mvn || dist_apt maven
  dist_have x86_64-w64-mingw32-gcc || dist_apt gcc-mingw-w64-x86-64
  rustup target list --installed | grep -qx "$WIN" || rustup target add "$WIN" >/dev/null \
    || dist_die "rustup target add $WIN failed"
}

build() {
  tools
  rm -rf "$OUT" "$REPO/cn/wxface/wxface" "$WORK"
  mkdir -p "$OUT" "$REPO" "$WORK/natives/linux-x86-64" "$WORK/natives/win32-x86-64" "$WORK/generated"
  dist_step "jvm: native for linux-x86-64 (release, zig, glibc $DIST_GLIBC+, features $FEATURES)"
  dist_zig
  dist_timed "cargo zigbuild --release wxface-kotlin ($LINUX.$DIST_GLIBC)" \
    cargo zigbuild --release --target "$LINUX.$DIST_GLIBC" -p wxface-kotlin --no-default-features --features "$FEATURES" \
    || dist_die "cargo zigbuild (linux) failed"
  dist_step "jvm: native for win32-x86-64 (release, mingw-w64, features $FEATURES)"
  dist_timed "cargo build --release wxface-kotlin ($WIN)" \
    cargo build --release --target "$WIN" -p wxface-kotlin --no-default-features --features "$FEATURES" \
    || dist_die "cargo build ($WIN) failed"
  local so=$TARGET_DIR/$LINUX/release/libwxface_kotlin.so dll=$TARGET_DIR/$WIN/release/wxface_kotlin.dll
  strip --strip-unneeded -o "$WORK/natives/linux-x86-64/libwxface_kotlin.so" "$so"
  x86_64-w64-mingw32-strip --strip-unneeded -o "$WORK/natives/win32-x86-64/wxface_kotlin.dll" "$dll"
  dist_pe_imports_ok "$WORK/natives/win32-x86-64/wxface_kotlin.dll"
  dist_glibc_ok "$WORK/natives/linux-x86-64/libwxface_kotlin.so"
  # The DLL exports UniFFI's entry points (loading it needs a Windows JVM).
  local exports
  exports=$(x86_64-w64-mingw32-objdump -p "$WORK/natives/win32-x86-64/wxface_kotlin.dll" | grep -c ' uniffi_wxface_kotlin_' || true)
  [ "$exports" -gt 0 ] || dist_die "wxface_kotlin.dll exports no UniFFI entry points"
  echo "dist: wxface_kotlin.dll exports $exports UniFFI entry points"
  # No sandbox in the natives.
  local n
  for n in "$WORK/natives/linux-x86-64/libwxface_kotlin.so" "$WORK/natives/win32-x86-64/wxface_kotlin.dll"; do
    if strings "$n" | grep -E 'uniffi_wxface_kotlin_fn_(constructor_sandbox|method_sandbox)|_sandbox/info' >/dev/null; then
      dist_die "$(basename "$n") carries the sandbox"
    fi
  done

  # UniFFI reads its metadata from the symbol table, which the zig-linked
  # Linux library does not keep (its dynamic symbols are all there): the
  # Kotlin is generated from the win32 library, built from the same source
  # with the same features, and checked against both.
  dist_step "jvm: uniffi-bindgen (Kotlin of the release library)"
  cargo run -q -p wxface-uniffi-bindgen --bin uniffi-bindgen -- generate \
    --library "$dll" --language kotlin --no-format --out-dir "$WORK/generated" \
    || dist_die "uniffi-bindgen failed"
  local want
  want=$(grep -rhoE '\b(uniffi|ffi)_wxface_[A-Za-z0-9_]+\(' "$WORK/generated" | tr -d '(' | sort -u)
  [ -n "$want" ] || dist_die "the generated Kotlin calls no native function"
  comm -23 <(echo "$want") <(nm -D --defined-only "$so" | awk '{print $3}' | sort -u) | head -5 | grep . &&
    dist_die "libwxface_kotlin.so lacks functions the Kotlin calls (above)"
  comm -23 <(echo "$want") <(x86_64-w64-mingw32-objdump -p "$dll" |
    sed -n '/^\[Ordinal\/Name Pointer\] Table/,/^$/p' | awk '$1 ~ /^\[/ { print $NF }' | sort -u) | head -5 | grep . &&
    dist_die "wxface_kotlin.dll lacks functions the Kotlin calls (above)"
  echo "dist: both natives export the $(wc -l <<<"$want") functions the Kotlin calls"

  dist_step "jvm: kotlinc and the jar (bindings-kotlin/package/pom.xml)"
  dist_timed "mvn package (Kotlin)" \
    mvn -q -B -Dstyle.color=never -f "$HERE/package/pom.xml" -Dbuild.dir="$WORK" package \
    || dist_die "mvn package failed"
  local jar=wxface-$VERSION.jar src=wxface-$VERSION-sources.jar
  cp "$WORK/maven/wxface-$VERSION.jar" "$OUT/$jar"
  # The sources: the same directories as the classes.
  mkdir -p "$WORK/sources"
  cp -r "$HERE/kotlin/main/." "$HERE/kotlin/merchant/." "$HERE/kotlin/coroutines/." "$WORK/generated/." "$WORK/sources/"
  (cd "$WORK/sources" && jar cf "$OUT/$src" .) || dist_die "jar (sources) failed"

  # What the jar holds: the natives, no sandbox, no tests.
  local listing
  listing=$(jar tf "$OUT/$jar")
  for f in linux-x86-64/libwxface_kotlin.so win32-x86-64/wxface_kotlin.dll wxface/MerchantJava.class \
    wxface/WxfaceJava.class; do
    printf '%s\n' "$listing" | grep -qx "$f" || dist_die "$jar lacks $f"
  done
  if printf '%s\n' "$listing" | grep -E 'SandboxJava|wxface/Sandbox(\$|\.class)|EmulatedFaceSdk|Test\.class'; then
    dist_die "$jar carries the sandbox or tests"
  fi

  local pom=$WORK/wxface-$VERSION.pom
  sed "s|<version>0\.1\.0</version>|<version>$VERSION</version>|" "$HERE/package/wxface.pom" >"$pom"
  grep -q "<artifactId>wxface</artifactId>" "$pom" || dist_die "bad POM"
  dist_step "jvm: mvn deploy:deploy-file → dist/maven"
  mvn -q -B -Dstyle.color=never deploy:deploy-file -Durl="file://$REPO" -DrepositoryId=wxface-dist \
    -DpomFile="$pom" -Dfile="$OUT/$jar" -Dsources="$OUT/$src" \
    || dist_die "mvn deploy:deploy-file failed"
  cp "$pom" "$OUT/"
  {
    printf '%s\t%s\t%s\t%s\n' "$jar" wxface-kotlin "$FEATURES" "$LINUX"
    printf '%s\t%s\t%s\t%s\n' "$jar" wxface-kotlin "$FEATURES" "$WIN"
    printf '%s\t%s\t%s\t%s\n' "$src" wxface-kotlin "$FEATURES" any
  } >"$OUT/MANIFEST.tsv"
  for f in "$OUT"/*.jar "$OUT"/*.pom; do printf '%10d  %s\n' "$(wc -c <"$f")" "$(basename "$f")"; done
}

SANDBOX_PID= tmp=
cleanup() { [ -z "$SANDBOX_PID" ] || kill "$SANDBOX_PID" 2>/dev/null || true; }

verify() {
  tools
  [ -f "$REPO/cn/wxface/wxface/$VERSION/wxface-$VERSION.jar" ] || dist_die "no jar in dist/maven: run $0 build"
  tmp=$(mktemp -d)
  trap 'cleanup; rm -rf "$tmp"' EXIT
  local wxface=$TARGET_DIR/debug/wxface
  if [ ! -x "$wxface" ]; then
    cargo build -p wxface-cli --bin wxface || dist_die "cargo build wxface-cli failed"
  fi
  dist_step "jvm: wxface sandbox serve (the test kit: the CLI)"
  "$wxface" sandbox serve --port 0 --keys-dir "$tmp/keys" >"$tmp/sandbox.out" 2>"$tmp/sandbox.err" &
  SANDBOX_PID=$!
  local url= i
  for i in $(seq 100); do
    url=$(sed -n 's/^listening on //p' "$tmp/sandbox.out")
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || dist_die "the sandbox did not start: $(cat "$tmp/sandbox.err")"

  dist_step "jvm: the Maven consumer project (installs cn.wxface:wxface:$VERSION from dist/maven)"
  cp -r "$HERE/consumer/maven" "$tmp/maven"
  (cd "$tmp/maven" && mvn -q -B -Dstyle.color=never -Dmaven.repo.local="$tmp/m2" \
    -Dwxface.repo="file://$REPO" -Dwxface.sandbox="$url" -Dwxface.keys="$tmp/keys" test) \
    || dist_die "the Maven consumer's tests failed"
  (cd "$tmp/maven" && mvn -q -B -Dstyle.color=never -Dmaven.repo.local="$tmp/m2" -Dwxface.repo="file://$REPO" \
    dependency:build-classpath -DincludeScope=runtime -Dmdep.outputFile="$tmp/cp.txt") \
    || dist_die "mvn dependency:build-classpath failed"
  grep -q "cn/wxface/wxface/$VERSION/wxface-$VERSION.jar" "$tmp/cp.txt" || dist_die "the class path lacks the installed jar"

  dist_step "jvm: a plain javac/java program on the installed jar"
  mkdir -p "$tmp/plain"
  javac -Xlint:all -Werror -encoding UTF-8 -cp "$(cat "$tmp/cp.txt")" -d "$tmp/plain" \
    "$HERE/consumer/plain/PlainJava.java" || dist_die "javac (plain Java) failed"
  java -cp "$tmp/plain:$(cat "$tmp/cp.txt")" PlainJava "$url" "$tmp/keys" || dist_die "the plain Java program failed"
  dist_step "jvm: ok"
}

case "${1:-}" in
  build) build ;;
  verify) verify ;;
  *) echo "usage: $0 build|verify" >&2; exit 2 ;;
esac
