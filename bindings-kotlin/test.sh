#!/usr/bin/env bash
# The Kotlin binding's checks:
#   0. clippy and the crate's Rust unit tests (the workspace stages leave
#      the bindings out);
#   1. the kiosk build for Android (aarch64 and armv7): pure Rust, no NDK needed
#      for `cargo check`;
#   2. `mvn -q -B test`: cargo builds the library (features
#      merchant,suspend,sandbox),
#      uniffi-bindgen generates the Kotlin, kotlinc compiles it with the
#      hand-written Kotlin, and JUnit runs against the host library and the
#      sandbox;
#   3. the Java example (java-example/): javac (-Xlint:all -Werror) against
#      the compiled binding, then a whole verification against the sandbox;
#   4. README.md's Kotlin examples compile, and those over the sandbox run
#      (Maven route; kotlinc from npm).
# When Maven Central cannot be reached (or WXFACE_KOTLIN_ROUTE=fallback),
# step 2 falls back to the npm kotlin-compiler with Debian's JNA and JUnit 5:
# the same sources and tests, less the `suspend` variants and kotlin/coroutines (Debian's
# kotlinx-coroutines is too old for UniFFI's generated code).
#
#   bash bindings-kotlin/test.sh             everything
#   bash bindings-kotlin/test.sh rust        only clippy and the Rust unit tests
#   bash bindings-kotlin/test.sh android     only the Android checks
#   bash bindings-kotlin/test.sh jvm         only the JVM build and tests
#
# Called by scripts/test.sh (stage `kotlin`). Stops at the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
HERE="$ROOT/bindings-kotlin"
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

say() { printf '\n==> bindings-kotlin: %s\n' "$*"; }
die() { printf '\n!!! bindings-kotlin: %s\n' "$*" >&2; exit 1; }

rust() {
  say "cargo clippy (wxface-kotlin, every feature; uniffi-bindgen)"
  cargo clippy -p wxface-kotlin -p wxface-uniffi-bindgen \
    --features wxface-kotlin/merchant,wxface-kotlin/suspend,wxface-kotlin/sandbox --all-targets -- -D warnings \
    || die "clippy found problems"
  say "cargo test -p wxface-kotlin --features merchant,suspend,sandbox"
  cargo test -p wxface-kotlin --features merchant,suspend,sandbox || die "Rust unit tests failed"
}

android() {
  say "rustup targets aarch64-linux-android armv7-linux-androideabi"
  rustup target add aarch64-linux-android armv7-linux-androideabi >/dev/null \
    || die "rustup target add failed"
  for t in aarch64-linux-android armv7-linux-androideabi; do
    say "cargo check --no-default-features --features kiosk --target $t"
    cargo check -p wxface-kotlin --no-default-features --features kiosk --target "$t" \
      || die "the kiosk build does not check for $t"
  done
}

# The Java example, compiled against the binding's classes and run against
# the sandbox. $1: the classes and their dependencies (a class path).
java_example() {
  local cp=$1 out="$TARGET_DIR/kotlin-java-example"
  say "javac java-example (Java sees the binding)"
  rm -rf "$out" && mkdir -p "$out"
  javac -Xlint:all -Werror -encoding UTF-8 -cp "$cp" -d "$out" \
    $(find "$HERE/java-example" -name '*.java' | sort) || die "javac (Java example) failed"
  say "java wxface.example.KioskExample (a whole verification against the sandbox)"
  java -cp "$out:$cp" -Djna.library.path="$TARGET_DIR/debug" \
    -Duniffi.component.wxface.libraryOverride="$TARGET_DIR/debug/libwxface_kotlin.so" \
    wxface.example.KioskExample || die "the Java example failed"
}

# README.md's Kotlin examples: each block (its `import` lines hoisted) becomes
# the body of a suspend function, compiled against the binding's classes with
# readme/Prelude.kt for the names it takes from its surroundings. A block
# whose first line is `// not compiled: <reason>` is left out. $1: class path.
readme_examples() {
  local cp=$1 out="$TARGET_DIR/kotlin-readme"
  rm -rf "$out" && mkdir -p "$out/src" "$out/classes"
  awk -v dir="$out/src" '
    /^```kotlin/ { on = 1; n++; first = 1; body = ""; imports = ""; next }
    on && /^```/ {
      on = 0
      if (skip) { skip = 0; next }
      f = sprintf("%s/Block%02d.kt", dir, n)
      printf "@file:Suppress(\"UNUSED_VARIABLE\")\npackage readme\nimport wxface.*\nimport wxface.model.*\n" > f
      printf "import java.util.logging.*\nimport kotlinx.coroutines.*\nimport kotlinx.coroutines.flow.*\n%s\n", imports > f
      printf "suspend fun block%02d() {\n%s}\n", n, body > f
      close(f)
      # The examples over the sandbox also run.
      if (body ~ /Sandbox\(\)/) runs = runs sprintf("    block%02d()\n    println(\"README example %d: ok\")\n", n, n)
      next
    }
    on && first { first = 0; if ($0 ~ /^\/\/ not compiled: /) { skip = 1 } }
    on && /^import / { imports = imports $0 "\n"; next }
    on { body = body $0 "\n" }
    END { printf "package readme\nfun main() = kotlinx.coroutines.runBlocking {\n%s}\n", runs > (dir "/Run.kt") }
  ' "$HERE/README.md"
  local n
  n=$(find "$out/src" -name 'Block*.kt' | wc -l)
  [ "$n" -gt 0 ] || die "no Kotlin example found in README.md"
  local tools="$TARGET_DIR/kotlin-tools"
  if [ ! -x "$tools/node_modules/kotlin-compiler/bin/kotlinc" ]; then
    mkdir -p "$tools"
    (cd "$tools" && npm install --silent --no-audit --no-fund kotlin-compiler@2.4.20) \
      || die "npm install kotlin-compiler failed"
  fi
  say "kotlinc README.md's $n Kotlin examples"
  "$tools/node_modules/kotlin-compiler/bin/kotlinc" -nowarn -jvm-target 17 -d "$out/classes" -cp "$cp" \
    "$HERE/readme/Prelude.kt" "$out/src" || die "a Kotlin example of README.md does not compile"
  say "java readme.RunKt (README.md's examples over the sandbox)"
  java -cp "$out/classes:$cp" -Djna.library.path="$TARGET_DIR/debug" \
    -Duniffi.component.wxface.libraryOverride="$TARGET_DIR/debug/libwxface_kotlin.so" \
    readme.RunKt || die "a Kotlin example of README.md failed against the sandbox"
}

maven_reachable() {
  command -v mvn >/dev/null 2>&1 || return 1
  # Resolving the build's plugins and dependencies is the real test.
  (cd "$HERE" && mvn -q -B dependency:resolve-plugins dependency:resolve >/dev/null 2>&1)
}

jvm_maven() {
  say "mvn -q -B test"
  (cd "$HERE" && mvn -q -B -Dstyle.color=never test) || die "mvn test failed"
  # Surefire is quiet with -q: sum its reports into one closing line.
  local reports="$TARGET_DIR/kotlin-maven/surefire-reports"
  ls "$reports"/TEST-*.xml >/dev/null 2>&1 || die "JUnit wrote no report"
  awk '
    /<testsuite / {
      for (i = 1; i <= NF; i++) {
        if ($i ~ /^tests=/)    { gsub(/[^0-9]/, "", $i); t += $i }
        if ($i ~ /^failures=/) { gsub(/[^0-9]/, "", $i); f += $i }
        if ($i ~ /^errors=/)   { gsub(/[^0-9]/, "", $i); e += $i }
        if ($i ~ /^skipped=/)  { gsub(/[^0-9]/, "", $i); s += $i }
      }
    }
    END {
      if (t == 0) { print "JUnit ran no test"; exit 1 }
      printf "\nkotlin: %d passed, %d failed, %d skipped\n", t - f - e - s, f + e, s
      exit (f + e > 0)
    }' "$reports"/TEST-*.xml || die "JUnit reports show failures"
  local deps="$TARGET_DIR/kotlin-maven/runtime-classpath.txt"
  (cd "$HERE" && mvn -q -B dependency:build-classpath -DincludeScope=runtime -Dmdep.outputFile="$deps") \
    || die "mvn dependency:build-classpath failed"
  java_example "$TARGET_DIR/kotlin-maven/classes:$(cat "$deps")"
  readme_examples "$TARGET_DIR/kotlin-maven/classes:$(cat "$deps")"
}

# The route without Maven Central: the JetBrains compiler from npm, JNA and
# JUnit 5 from Debian. Built without feature `suspend`, so neither the
# generated code nor the tests (less *SuspendTest.kt) need kotlinx-coroutines;
# kotlin/coroutines (Kiosk.verifyAsync, verifyFlow) is left out too.
jvm_fallback() {
  say "npm kotlin-compiler + Debian JNA and JUnit 5 (no suspend variants)"
  local tools="$TARGET_DIR/kotlin-tools"
  mkdir -p "$tools"
  if [ ! -x "$tools/node_modules/kotlin-compiler/bin/kotlinc" ]; then
    (cd "$tools" && npm install --silent --no-audit --no-fund kotlin-compiler@2.4.20) \
      || die "npm install kotlin-compiler failed"
  fi
  local kotlinc="$tools/node_modules/kotlin-compiler/bin/kotlinc"
  local jna=/usr/share/java/jna.jar
  local junit=/usr/share/java/junit-platform-console-standalone.jar
  if [ ! -f "$jna" ] || [ ! -f "$junit" ]; then
    { apt-get update -qq && apt-get install -y -qq libjna-java junit5; } >/dev/null \
      || die "apt-get install libjna-java junit5 failed"
  fi
  local out="$TARGET_DIR/kotlin-fallback"
  rm -rf "$out" && mkdir -p "$out/classes" "$out/test-classes" "$out/generated"
  say "cargo build -p wxface-kotlin --features merchant,sandbox"
  cargo build -p wxface-kotlin --features merchant,sandbox || die "cargo build failed"
  say "uniffi-bindgen generate"
  cargo run -q -p wxface-uniffi-bindgen --bin uniffi-bindgen -- generate \
    --library "$TARGET_DIR/debug/libwxface_kotlin.so" --language kotlin --no-format \
    --out-dir "$out/generated" || die "uniffi-bindgen failed"
  local stdlib
  stdlib=$(cd "$(dirname "$kotlinc")/../lib" && pwd)/kotlin-stdlib.jar
  local tests=()
  while IFS= read -r f; do tests+=("$f"); done < <(find "$HERE/kotlin/test" -name '*.kt' ! -name '*SuspendTest.kt' | sort)
  say "kotlinc (main, then tests)"
  "$kotlinc" -nowarn -d "$out/classes" -cp "$jna" \
    "$HERE/kotlin/main" "$HERE/kotlin/merchant" "$HERE/kotlin/sandbox" "$out/generated" || die "kotlinc (main) failed"
  "$kotlinc" -nowarn -d "$out/test-classes" -cp "$out/classes:$jna:$junit" \
    "${tests[@]}" || die "kotlinc (tests) failed"
  say "JUnit"
  local log="$out/junit.log" rc
  set +e
  java -Djna.library.path="$TARGET_DIR/debug" -Dwxface.vectors="$ROOT/tests/vectors" \
    -jar "$junit" --disable-banner --disable-ansi-colors \
    --class-path "$out/classes:$out/test-classes:$jna:$stdlib" \
    --scan-class-path "$out/test-classes" --details=summary --fail-if-no-tests \
    | tee "$log"
  rc=${PIPESTATUS[0]}
  set -e
  local ok failed
  ok=$(sed -n 's/^\[ *\([0-9]*\) tests successful.*/\1/p' "$log")
  failed=$(sed -n 's/^\[ *\([0-9]*\) tests failed.*/\1/p' "$log")
  printf '\nkotlin: %s passed, %s failed\n' "${ok:-0}" "${failed:-0}"
  [ "$rc" -eq 0 ] || die "JUnit failed"
  java_example "$out/classes:$jna:$stdlib"
}

jvm() {
  if [ "${WXFACE_KOTLIN_ROUTE:-}" = fallback ]; then
    jvm_fallback
  elif maven_reachable; then
    jvm_maven
  else
    jvm_fallback
  fi
}

what=${1:-all}
case "$what" in
  rust) rust ;;
  android) android ;;
  jvm) jvm ;;
  all) rust; android; jvm ;;
  *) die "unknown stage $what (rust, android, jvm)" ;;
esac
say "ok ($what)"
