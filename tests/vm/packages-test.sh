#!/bin/bash
# SPDX-License-Identifier: MIT
# The Debian packages' suite, run in a rig guest on a Debian kernel that
# booted without the project's modules (RIG_SETUP=none):
#   1. dpkg installs the packages; vramshare-dkms's postinst has DKMS
#      build the modules for the running kernel (the only one left in
#      /boot) from /usr/src;
#   2. the modules load by name from DKMS's place (updates/dkms), with
#      the project's version; the topology's devices are bound;
#   3. a program builds against libvramshare-dev (pkg-config and CMake)
#      and runs; the packaged broker and CLI serve a buffer;
#   4. a short igt suite (export, import, copy, reset, the broker) runs on
#      the DKMS-built modules, with the packaged broker.
#
#   packages-test.sh DEB-DIR GUEST-INIT BUILD-DIR [HARNESS-ARGS...]
set -euo pipefail
debs=$1 guest_init=$2 build=$3
shift 3
top=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
version=$(head -n 1 "$top/VERSION")
kver=$(uname -r)
work=$(mktemp -d)

step() { echo "packages: [${SECONDS}s] $*"; }
fail() {
	echo "packages: FAIL: $*" >&2
	exit 1
}

# DKMS builds for the running kernel and the newest one installed. The
# guest's root is the host's, which has both of Debian's kernels: the 6.1
# guest would build for 6.12 too (minutes under TCG), which the 6.12
# guest's suite does. Here it is a machine with its one kernel.
for config in /boot/config-*; do
	[ "$config" = "/boot/config-$kver" ] || rm -f "$config"
done

step "installing version $version on $kver"
export DEBIAN_FRONTEND=noninteractive
# man-db's trigger re-indexes every manual page on the system: minutes
# over the guest's 9p root, and nothing the suite looks at. This is what
# answering "no" to man-db/auto-update does.
rm -f /var/lib/man-db/auto-update
if ! dpkg -i "$debs"/vramshare-dkms_"$version"_all.deb "$debs"/libvramshare0_"$version"_*.deb \
	"$debs"/libvramshare-dev_"$version"_*.deb "$debs"/vramshare_"$version"_*.deb; then
	# DKMS's postinst keeps the build's output to itself
	cat "/var/lib/dkms/vramshare/$version/build/make.log" 2>/dev/null
	fail "dpkg -i"
fi
dkms status -m vramshare -v "$version" -k "$kver" | grep -q ': installed' ||
	fail "DKMS did not install the modules for $kver: $(dkms status -m vramshare)"

step "loading the DKMS-built modules"
dkms_modules=
for module in vfio_pci_dmabuf drm_import drm_import_edu; do
	path=$(modinfo -n "$module") || fail "modinfo $module"
	case "$path" in
	/lib/modules/"$kver"/updates/dkms/*) ;;
	*) fail "$module resolves to $path, not DKMS's updates/dkms" ;;
	esac
	[ "$(modinfo -F version "$module")" = "$version" ] ||
		fail "$module has version $(modinfo -F version "$module"), not $version"
	# modprobe takes the module's parameters from the kernel command line
	modprobe "$module" || fail "modprobe $module"
	dkms_modules="$dkms_modules $path"
done
# Tests that reload a module (module-unload-*) take it from RIG_MODULES.
export RIG_MODULES=${dkms_modules# }
"$guest_init" bind || fail "binding the topology's devices"

step "building against libvramshare-dev"
consumer=$top/userspace/libvramshare/tests/consumer
expected="vramshare $version 0000:03:00.0"
# shellcheck disable=SC2046 # the flags are words
cc -Wall -Wextra -Werror -o "$work/consumer" "$consumer/consumer.c" \
	$(pkg-config --cflags --libs libvramshare) || fail "cc with pkg-config"
[ "$("$work/consumer")" = "$expected" ] || fail "the pkg-config consumer"
if ! { cmake -S "$consumer" -B "$work/cmake" && cmake --build "$work/cmake"; } \
	>"$work/cmake.log" 2>&1; then
	cat "$work/cmake.log"
	fail "find_package(vramshare)"
fi
[ "$("$work/cmake/consumer")" = "$expected" ] || fail "the CMake consumer"

step "the packaged broker and CLI"
vramshared --check --config /etc/vramshare/vramshared.conf || fail "vramshared --check"
mkdir -p /run/vramshare
vramshared --config /etc/vramshare/vramshared.conf &
broker=$!
for _ in $(seq 100); do
	[ -S /run/vramshare/broker.sock ] && break
	sleep 0.1
done
vramshare ls || fail "vramshare ls"
vramshare --json ls | grep -q '"gpu0"' || fail "vramshare ls: no gpu0"
vramshare alloc 1M -- true || fail "vramshare alloc"
kill "$broker"
wait "$broker" || true

step "igt tests on the DKMS-built modules"
dkms status -m vramshare
export VRAMSHARED=/usr/sbin/vramshared
exec "$build/tests/igt/igt-harness" --results /rig/results.json --counts /rig/counts \
	"$@" "$build"/tests/igt/vramshare_*
