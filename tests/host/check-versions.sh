#!/bin/bash
# SPDX-License-Identifier: MIT
# The project has one version, VERSION. CMake and the modules read it;
# the files that must spell it out are checked against it here: dkms.conf,
# the Debian changelog's newest entry and CHANGELOG. The Debian symbols
# file must name every symbol version node of the library's map.
#   tests/host/check-versions.sh
set -eu
cd "$(dirname "$(readlink -f "$0")")/../.."
status=0
fail() {
	echo "$*"
	status=1
}
version=$(head -n 1 VERSION)
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "VERSION: '$version' is not MAJOR.MINOR.PATCH"

dkms=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' dkms.conf)
[ "$dkms" = "$version" ] || fail "dkms.conf: PACKAGE_VERSION '$dkms', VERSION says $version"

# The first line of debian/changelog: "vramshare (VERSION[-REVISION]) ..."
deb=$(sed -n '1s/^vramshare (\([^)]*\)).*/\1/p' debian/changelog)
[ "${deb%%-*}" = "$version" ] ||
	fail "debian/changelog: newest entry '$deb', VERSION says $version"

grep -q "^$version\b" CHANGELOG || fail "CHANGELOG: no entry for $version"

map_nodes=$(sed -n 's/^\(VRAMSHARE_[0-9.]*\) {$/\1/p' userspace/libvramshare/libvramshare.map | sort)
sym_nodes=$(sed -n 's/^ (symver)\(VRAMSHARE_[0-9.]*\) .*/\1/p' debian/libvramshare0.symbols | sort)
[ "$map_nodes" = "$sym_nodes" ] ||
	fail "debian/libvramshare0.symbols: nodes '${sym_nodes//$'\n'/ }', libvramshare.map has '${map_nodes//$'\n'/ }'"

[ "$status" = 0 ] && echo "every version matches VERSION ($version)"
exit "$status"
