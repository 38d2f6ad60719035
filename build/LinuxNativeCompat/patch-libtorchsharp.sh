#!/usr/bin/env bash
# Makes the copy of libLibTorchSharp.so in a build output folder loadable on systems whose
# libstdc++ lacks GLIBCXX_3.4.32 (Debian 12, Ubuntu 22.04). TorchSharp 0.107 needs that version
# for a single function, std::ios_base_library_init(). The fix: add a tiny library that defines it,
# drop the version from that symbol, and mark the version requirement weak.
# Usage: patch-libtorchsharp.sh <folder holding libLibTorchSharp.so> <folder for compiled helpers>
# Does nothing when the library is absent, already patched, or loads as it is.
set -euo pipefail
# Exit code 3 means "a clear error line was already printed" (MSBuild shows it as the build error).
trap 'echo "error MLNV003: patching libLibTorchSharp.so failed at line $LINENO of $0" >&2; exit 3' ERR

native_dir=$1
tool_dir=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
lib="$native_dir/libLibTorchSharp.so"
shim_name=libmlnetvideo_glibcxx_compat.so
version=GLIBCXX_3.4.32
symbol=_ZSt21ios_base_library_initv

[ -f "$lib" ] || exit 0
# A patched library still shows "weak version ... not found" in ldd: that is only a notice.
# (grep without -q reads all of ldd's output: with -q it stops at the first match and, under pipefail, the writer's
# broken pipe failed the whole check now and then.)
if ! ldd "$lib" 2>&1 | grep -v "weak version" | grep "$version' not found" >/dev/null; then
  exit 0   # a new enough libstdc++, or already patched
fi

missing=()
command -v g++ >/dev/null 2>&1 || missing+=(g++)
command -v patchelf >/dev/null 2>&1 || missing+=(patchelf)
if [ ${#missing[@]} -gt 0 ]; then
  echo "error MLNV001: TorchSharp needs $version, which this system's libstdc++ lacks; MLNetVideo patches it at build time but needs ${missing[*]}: install with 'sudo apt-get install -y ${missing[*]}'." >&2
  exit 3
fi

mkdir -p "$tool_dir"
if [ ! -x "$tool_dir/mark_version_weak" ] || [ "$here/mark_version_weak.cpp" -nt "$tool_dir/mark_version_weak" ]; then
  g++ -O2 -o "$tool_dir/mark_version_weak" "$here/mark_version_weak.cpp"
fi
if [ ! -f "$tool_dir/$shim_name" ] || [ "$here/ios_base_library_init.cpp" -nt "$tool_dir/$shim_name" ]; then
  g++ -O2 -shared -fPIC -o "$tool_dir/$shim_name" "$here/ios_base_library_init.cpp"
fi
cp "$tool_dir/$shim_name" "$native_dir/$shim_name"

# Patch a private copy, then move it into place: the output file may be a hard link into the
# NuGet cache, which must never change.
work=$(mktemp "$native_dir/.libLibTorchSharp.XXXXXX")
trap 'rm -f "$work"' EXIT
cp "$lib" "$work"
patchelf --add-needed "$shim_name" "$work"
patchelf --clear-symbol-version "$symbol" "$work"
"$tool_dir/mark_version_weak" "$work" "$version" >/dev/null
chmod --reference="$lib" "$work"
mv -f "$work" "$lib"
trap - EXIT

# Only the libstdc++ versions are ours to fix: a project that references the managed TorchSharp package
# without a libtorch backend (TorchSharp-cpu/-cuda) legitimately lacks libtorch.so here.
if ldd "$lib" 2>&1 | grep -v "weak version" | grep "GLIBCXX_[0-9.]*' not found" >/dev/null; then
  echo "error MLNV002: libLibTorchSharp.so in $native_dir still needs a libstdc++ version this system lacks after patching:" >&2
  ldd "$lib" 2>&1 | grep -v "weak version" | grep "GLIBCXX" >&2
  exit 3
fi
echo "MLNetVideo: patched $lib for a libstdc++ without $version"
