#!/usr/bin/env bash
# Installs the build into a temporary prefix and uses it as an outside project would
# (issue 20, item 5): the installed files, the shared core library's dependencies (no
# HDF5, no MPI), then tests/install/consumer/ built with CMake's find_package(dnn) and
# with pkg-config, static and shared, run, and compared with the same program built in
# the tree. The shared programs find libdnn.so through the RPATH CMake gives a program
# in its build tree, or LD_LIBRARY_PATH for the pkg-config ones; ldd must show it in
# the prefix. The temporary directory goes on exit.
# usage: consumer.sh BUILD_DIR IN_TREE_COURSE_FUNCTIONS SOVERSION [EXTRA_C_FLAGS]
set -euo pipefail
build=$1 in_tree=$2 soversion=$3 extra_flags=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
cc=${CC:-cc}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dnn_install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAILED: $*"; exit 1; }
prefix=$tmp/prefix

cmake --install "$build" --prefix "$prefix" > "$tmp/install.log" ||
    { cat "$tmp/install.log"; fail "cmake --install"; }

# The files. libdir is lib or lib/<multiarch> (GNUInstallDirs): found from dnn.pc.
pc=$(find "$prefix" -name dnn.pc -path '*/pkgconfig/*')
[ -n "$pc" ] || fail "no pkgconfig/dnn.pc under the prefix"
libdir=$(dirname "$(dirname "$pc")")
for f in "$libdir"/pkgconfig/dnn_io.pc "$libdir"/cmake/dnn/dnnConfig.cmake \
         "$libdir"/cmake/dnn/dnnConfigVersion.cmake "$libdir"/cmake/dnn/dnnTargets.cmake \
         "$prefix"/bin/dnn-train "$prefix"/bin/dnn-predict "$prefix"/bin/dnn-convert \
         "$prefix"/include/dnn.h; do
    [ -f "$f" ] || fail "not installed: ${f#$prefix/}"
done
for lib in dnn dnn_io; do
    [ -f "$libdir/lib$lib.a" ] || fail "not installed: lib$lib.a"
    [ -f "$libdir/lib$lib.so.$soversion" ] || fail "not installed: lib$lib.so.$soversion"
    [ "$(readlink -f "$libdir/lib$lib.so")" = "$(readlink -f "$libdir/lib$lib.so.$soversion")" ] ||
        fail "lib$lib.so does not lead to lib$lib.so.$soversion"
    soname=$(readelf -d "$libdir/lib$lib.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
    [ "$soname" = "lib$lib.so.$soversion" ] || fail "lib$lib.so's soname is '$soname'"
done
# The installed programs run from the prefix.
for program in dnn-train dnn-predict dnn-convert; do
    version=$("$prefix/bin/$program" --version) || fail "$program --version: exit $?"
    [[ $version == "$program "* ]] || fail "$program --version printed '$version'"
done
# Every public header is installed, includes only installed headers, and compiles alone.
for h in "$here"/../../include/dnn/*.h; do
    [ -f "$prefix/include/dnn/$(basename "$h")" ] || fail "not installed: include/dnn/$(basename "$h")"
done
for h in "$prefix"/include/dnn.h "$prefix"/include/dnn/*.h; do
    while read -r inc; do
        [ -f "$prefix/include/$inc" ] || fail "${h#$prefix/} includes \"$inc\", which is not installed"
    done < <(sed -n 's/^#include "\(.*\)"/\1/p' "$h")
    echo "#include \"${h#$prefix/include/}\"" |
        $cc -std=c11 -fsyntax-only -Wall -Werror -I"$prefix/include" -x c - ||
        fail "${h#$prefix/} does not compile alone"
done

# The core library does not drag in HDF5 or MPI; the io library has HDF5 and the core.
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
core_needed=$(needed "$libdir/libdnn.so")
if grep -Ei 'hdf5|mpi' <<<"$core_needed"; then fail "libdnn.so needs HDF5 or MPI"; fi
grep -q openblas <<<"$core_needed" || fail "libdnn.so does not need OpenBLAS: $core_needed"
io_needed=$(needed "$libdir/libdnn_io.so")
grep -q hdf5 <<<"$io_needed" || fail "libdnn_io.so does not need HDF5"
grep -qx "libdnn.so.$soversion" <<<"$io_needed" || fail "libdnn_io.so does not need libdnn.so.$soversion"
if grep -Ei 'mpi' <<<"$io_needed"; then fail "libdnn_io.so needs MPI"; fi

expected=$("$in_tree") || fail "the in-tree course_functions failed"
# check NAME PROGRAM [ARGS]: runs it, compares with the in-tree output.
check() {
    local name=$1; shift
    local out
    out=$("$@") || fail "$name: exit $?"
    [ "$out" = "$expected" ] || fail "$name printed '$out', the in-tree program '$expected'"
    echo "ok: $name: $out"
}
# uses_prefix PROGRAM: the shared libdnn it loads is the installed one.
uses_prefix() {
    ldd "$1" | grep "libdnn.so.$soversion => $libdir/" >/dev/null ||
        fail "$(basename "$1") does not load libdnn.so from the prefix: $(ldd "$1" | grep libdnn)"
}

# 1. CMake: find_package(dnn) with CMAKE_PREFIX_PATH.
cmake -S "$here/consumer" -B "$tmp/cmake" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="$extra_flags" > "$tmp/cmake.log" 2>&1 ||
    { cat "$tmp/cmake.log"; fail "configuring the consumer with find_package(dnn)"; }
cmake --build "$tmp/cmake" > "$tmp/cmake_build.log" 2>&1 ||
    { cat "$tmp/cmake_build.log"; fail "building the consumer with find_package(dnn)"; }
uses_prefix "$tmp/cmake/course_functions"
check "cmake, dnn::dnn" "$tmp/cmake/course_functions"
check "cmake, dnn::dnn_static" "$tmp/cmake/course_functions_static"
needed "$tmp/cmake/course_functions_static" | grep libdnn >/dev/null && fail "dnn::dnn_static links libdnn.so"
"$tmp/cmake/model_file" "$tmp/model_cmake.h5" || fail "cmake, dnn::dnn_io"
"$tmp/cmake/model_file_static" "$tmp/model_cmake_static.h5" || fail "cmake, dnn::dnn_io_static"

# 2. pkg-config, shared: cc app.c $(pkg-config --cflags --libs dnn).
export PKG_CONFIG_PATH=$libdir/pkgconfig
$cc $extra_flags "$here/consumer/course_functions.c" -o "$tmp/pc_shared" \
    $(pkg-config --cflags --libs dnn) || fail "building with pkg-config dnn"
LD_LIBRARY_PATH=$libdir uses_prefix "$tmp/pc_shared"
check "pkg-config dnn" env LD_LIBRARY_PATH="$libdir" "$tmp/pc_shared"
$cc $extra_flags "$here/consumer/model_file.c" -o "$tmp/pc_io" \
    $(pkg-config --cflags --libs dnn_io) || fail "building with pkg-config dnn_io"
LD_LIBRARY_PATH=$libdir "$tmp/pc_io" "$tmp/model_pc.h5" || fail "pkg-config dnn_io"

# 3. pkg-config --static: the archives (the linker prefers a .so to -ldnn, so the test
# names the .a) with the rest of the line as pkg-config gives it.
static_libs() { pkg-config --static --libs "$1" | sed 's/-ldnn_io\b/-l:libdnn_io.a/; s/-ldnn\b/-l:libdnn.a/'; }
for want in -fopenmp -lm -lopenblas; do
    grep -qw -- "$want" <<<"$(pkg-config --static --libs dnn)" || fail "pkg-config --static dnn lacks $want"
done
grep -qw -- -lhdf5 <<<"$(pkg-config --static --libs dnn_io)" || fail "pkg-config --static dnn_io lacks -lhdf5"
$cc $extra_flags "$here/consumer/course_functions.c" -o "$tmp/pc_static" \
    $(pkg-config --cflags dnn) $(static_libs dnn) || fail "building with pkg-config --static dnn"
needed "$tmp/pc_static" | grep libdnn >/dev/null && fail "the static build links libdnn.so"
check "pkg-config --static dnn" "$tmp/pc_static"
$cc $extra_flags "$here/consumer/model_file.c" -o "$tmp/pc_io_static" \
    $(pkg-config --cflags dnn_io) $(static_libs dnn_io) || fail "building with pkg-config --static dnn_io"
"$tmp/pc_io_static" "$tmp/model_pc_static.h5" || fail "pkg-config --static dnn_io"

echo "ok: installed, and used with find_package(dnn) and pkg-config"
