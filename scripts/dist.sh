#!/usr/bin/env bash
# Builds every package users install into dist/, with SHA-256 sums and a
# CycloneDX SBOM per artefact, then (verify) publishes them to registries
# started on loopback and installs them from there with each ecosystem's
# ordinary command.
#
#   scripts/dist.sh                 build, then verify (what `scripts/test.sh dist` runs)
#   scripts/dist.sh build [PART…]   build only
#   scripts/dist.sh verify [PART…]  verify only (after a build)
#
# PARTs: cli python node wasm jvm (all by default), each scripts/dist/<part>.sh.
#
#   dist/cli/     wxface for Linux x86_64 (static) and Windows x86_64
#   dist/python/  wheels wxface (manylinux2014 x86_64, win_amd64) and
#                 wxface-sandbox, sdist of wxface
#   dist/node/    npm tarballs @wxface/node and its per-platform packages,
#                 @wxface/dev
#   dist/wasm/    npm tarball @wxface/wasm (web, nodejs and bundler entry points)
#   dist/jvm/     cn.wxface:wxface jar (natives for linux-x86-64 and
#                 win32-x86-64), its sources jar and POM; dist/maven/ is the
#                 same as a Maven repository
#
# Every directory has SHA256SUMS, and `<artefact>.cdx.json` beside each
# artefact. Sizes are checked against the budgets of scripts/dist/budgets.tsv
# (BENCHMARKS.md shows both).
source "$(dirname "$0")/dist/common.sh"

ALL=(cli python node wasm jvm)

part_script() {
  local s="$ROOT/scripts/dist/$1.sh"
  [ -f "$s" ] || dist_die "unknown part '$1' (no $s)"
  echo "$s"
}

sbom_and_sums() {
  dist_step "SBOMs (CycloneDX) and SHA256SUMS"
  local venv=$ROOT/target/dist-tools
  if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    'cyclonedx-python-lib[json-validation]==11.12.0' || dist_die "pip install cyclonedx-python-lib failed"
  "$venv/bin/python" "$ROOT/scripts/dist/sbom.py" "$DIST" "$ROOT/Cargo.toml" "${parts[@]}"
  local d
  for d in "${parts[@]/#/$DIST/}"; do
    [ -f "$d/SHA256SUMS" ] || dist_die "no SHA256SUMS in $d"
    (cd "$d" && sha256sum --quiet -c SHA256SUMS) || dist_die "SHA256SUMS of $d does not check"
  done
}

# Each artefact against its budget (scripts/dist/budgets.tsv: glob, bytes).
sizes() {
  dist_step "sizes against budgets (scripts/dist/budgets.tsv)"
  local budgets=$ROOT/scripts/dist/budgets.tsv over=0 f size pattern limit matched
  local table=$DIST/SIZES.md
  printf '| artefact | bytes | budget | of budget |\n|---|---:|---:|---:|\n' >"$table"
  printf '%-64s %12s %12s\n' artefact bytes budget
  while IFS= read -r f; do
    size=$(stat -c %s "$f")
    matched=
    while IFS=$'\t' read -r pattern limit; do
      case "$pattern" in '' | '#'*) continue ;; esac
      # shellcheck disable=SC2053
      if [[ ${f#"$DIST"/} == $pattern ]]; then matched=$limit; break; fi
    done <"$budgets"
    [ -n "$matched" ] || dist_die "no budget for ${f#"$DIST"/} in $budgets"
    printf '%-64s %12d %12d\n' "${f#"$DIST"/}" "$size" "$matched"
    printf '| `%s` | %d | %d | %d %% |\n' "${f#"$DIST"/}" "$size" "$matched" "$((size * 100 / matched))" >>"$table"
    if [ "$size" -gt "$matched" ]; then
      echo "dist: ${f#"$DIST"/} is over its budget" >&2
      over=1
    fi
  done < <(find "${parts[@]/#/$DIST/}" -maxdepth 1 -type f \
    \( -name '*.whl' -o -name '*.tar.gz' -o -name '*.tgz' -o -name '*.jar' -o -name 'wxface-*-linux-*' -o -name '*.exe' \) \
    ! -name '*.cdx.json' | sort)
  [ "$over" -eq 0 ] || dist_die "artefacts over budget (see above)"
  echo "dist: the same as a table in $table"
}

mode=${1:-all}
[ $# -gt 0 ] && shift
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=("${ALL[@]}")

case "$mode" in
  build | all)
    mkdir -p "$DIST"
    for p in "${parts[@]}"; do
      dist_step "build: $p"
      dist_timed "build $p" bash "$(part_script "$p")" build
    done
    sbom_and_sums
    sizes
    ;;&
  verify | all)
    for p in "${parts[@]}"; do
      dist_step "verify: $p"
      dist_timed "verify $p" bash "$(part_script "$p")" verify
    done
    dist_step "dist: built and verified: ${parts[*]}"
    ;;
  build) ;;
  *) echo "usage: $0 [build|verify|all] [PART…]" >&2; exit 2 ;;
esac
