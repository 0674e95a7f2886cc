#!/bin/sh
# SPDX-License-Identifier: MIT
# ctest install_consumer: install libvramshare (component libvramshare)
# from a build directory into <work>/prefix, then build consumer.c against
# that copy through pkg-config and through find_package(vramshare), and
# run both. Everything is written under <work> (in the build directory).
#
# check_install.sh BUILD_DIR WORK_DIR LIBDIR VERSION CMAKE CC PKG_CONFIG GENERATOR
set -eu

if [ $# -ne 8 ]; then
	echo "usage: $0 build work libdir version cmake cc pkg-config generator" >&2
	exit 2
fi
build=$1 work=$2 libdir=$3 version=$4 cmake=$5 cc=$6 pkgconfig=$7 generator=$8
src=$(cd "$(dirname "$0")" && pwd)
prefix=$work/prefix
expected="vramshare $version 0000:03:00.0"

fail() {
	echo "install_consumer: $*" >&2
	exit 1
}

# check_output PROGRAM [LIBRARY_PATH]: it prints $expected
check_output() {
	if [ $# -gt 1 ]; then
		out=$(env LD_LIBRARY_PATH="$2" "$1") || fail "$1 failed"
	else
		out=$("$1") || fail "$1 failed"
	fi
	[ "$out" = "$expected" ] || fail "$1 printed '$out', not '$expected'"
	echo "$1: $out"
}

# Nothing from the caller's environment redirects the install or the look-up
unset DESTDIR PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_LIBDIR
rm -rf "$work"
mkdir -p "$work/tmp"
# Compilers' temporary files too
TMPDIR=$work/tmp
export TMPDIR

"$cmake" --install "$build" --prefix "$prefix" --component libvramshare
for f in include/vramshare.h include/vramshare_version.h \
	 "$libdir/pkgconfig/libvramshare.pc" \
	 "$libdir/cmake/vramshare/vramshareConfig.cmake" \
	 "$libdir/cmake/vramshare/vramshareConfigVersion.cmake"; do
	[ -f "$prefix/$f" ] || fail "not installed: $f"
done

# pkg-config
PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig
export PKG_CONFIG_PATH
"$pkgconfig" --exact-version="$version" libvramshare ||
	fail "pkg-config does not find libvramshare $version"
[ "$("$pkgconfig" --variable=prefix libvramshare)" = "$prefix" ] ||
	fail "libvramshare.pc has another prefix than $prefix"
flags=$("$pkgconfig" --cflags --libs libvramshare)
# shellcheck disable=SC2086 # the flags are words
"$cc" -Wall -Wextra -Werror -o "$work/consumer-pkgconfig" \
	"$src/consumer.c" $flags
check_output "$work/consumer-pkgconfig" "$prefix/$libdir"

# find_package(vramshare); the imported target's location is its run path
"$cmake" -S "$src" -B "$work/cmake" -G "$generator" \
	-DCMAKE_C_COMPILER="$cc" -DCMAKE_PREFIX_PATH="$prefix" \
	-DVRS_EXPECTED_PREFIX="$prefix" >"$work/cmake-configure.log" ||
	{ cat "$work/cmake-configure.log"; fail "find_package(vramshare)"; }
"$cmake" --build "$work/cmake"
check_output "$work/cmake/consumer"
