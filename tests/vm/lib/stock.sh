# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Debian's stock kernels as rig kernels: the topology says "kernel: debian"
# (linux-image-amd64, Debian 12's 6.1) or "kernel: debian-SERIES" (the
# newest Debian 12 kernel of that series, e.g. 6.12). Their 9p, virtio and
# overlay are modules, so they boot with a small initramfs the rig makes;
# the project's modules are built against the matching linux-headers.

# The modules the initramfs loads, in an order that satisfies their deps.
STOCK_INITRAMFS_MODULES="virtio_pci 9pnet_virtio 9p overlay"

stock_version() {
	dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null |
		sed -n 's/.*linux-image-\([0-9][^ ,]*\).*/\1/p'
}

stock_packages() {
	local pkg missing=""
	for pkg in linux-image-amd64 linux-headers-amd64; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" ||
			missing="$missing $pkg"
	done
	[ -z "$missing" ] && return 0
	RIG_PACKAGES=$missing deps_ensure
}

# stock_series_version SERIES: the newest Debian kernel of SERIES that is
# installed with its headers; without one, the newest in the archive is
# installed. Prints its version.
stock_series_version() {
	local series=$1 pattern ver v
	pattern="^${series//./\\.}\\.[0-9]+\\+deb[0-9]+-amd64\$"
	for v in $(ls /lib/modules 2>/dev/null | grep -E "$pattern" | sort -V); do
		[ -f "/boot/vmlinuz-$v" ] && [ -e "/lib/modules/$v/build/Makefile" ] && ver=$v
	done
	if [ -z "${ver:-}" ]; then
		ver=$(apt-cache search --names-only "^linux-headers-" |
			sed -n 's/^linux-headers-\([^ ]*\) .*/\1/p' | grep -E "$pattern" |
			sort -V | tail -n 1)
		[ -n "$ver" ] || die "no Debian kernel $series in the package archive"
		RIG_PACKAGES="linux-image-$ver linux-headers-$ver" deps_ensure
	fi
	echo "$ver"
}

# stock_initramfs_path VERSION: where the initramfs of VERSION is cached.
stock_initramfs_path() {
	local key
	key=$( (echo "$1 $STOCK_INITRAMFS_MODULES"; cat "$RIG_DIR/initramfs-init" \
		"$RIG_DIR/lib/stock.sh") | sha256sum | cut -c1-16)
	echo "$RIG_CACHE/initramfs-$1-$key.cpio.gz"
}

# stock_initramfs VERSION: prints the path of the (cached) initramfs.
stock_initramfs() {
	local ver=$1 out tmp module ko
	out=$(stock_initramfs_path "$ver")
	if [ ! -f "$out" ]; then
		tmp=$(mktemp -d)
		mkdir -p "$tmp/bin" "$tmp/modules" "$tmp/proc" "$tmp/dev"
		cp /bin/busybox "$tmp/bin/busybox"
		cp "$RIG_DIR/initramfs-init" "$tmp/init"
		for module in $STOCK_INITRAMFS_MODULES; do
			modprobe --show-depends -S "$ver" "$module" |
				sed -n 's/^insmod \([^ ]*\).*/\1/p'
		done | awk '!seen[$0]++' | while read -r ko; do
			cp "$ko" "$tmp/modules/"
			basename "$ko" >>"$tmp/modules.order"
		done
		(cd "$tmp" && find . | cpio -o -H newc --quiet | gzip -9) >"$out.tmp" &&
			mv "$out.tmp" "$out"
		rm -rf "$tmp"
	fi
	echo "$out"
}

# stock_ensure [SERIES]: sets RIG_KERNEL_IMAGE, RIG_INITRD and RIG_MODULE_DIR
# for Debian's default kernel, or for the newest of SERIES.
stock_ensure() {
	local ver
	if [ -n "${1:-}" ]; then
		ver=$(stock_series_version "$1") || exit 1
	else
		stock_packages
		ver=$(stock_version)
	fi
	[ -n "$ver" ] && [ -f "/boot/vmlinuz-$ver" ] ||
		die "Debian's kernel ${1:-} is not installed (linux-image)"
	RIG_KERNEL_IMAGE=/boot/vmlinuz-$ver
	RIG_INITRD=$(stock_initramfs "$ver")
	RIG_MODULE_DIR=$(modules_ensure "stock-$ver" - -C "/lib/modules/$ver/build") || exit 1
}
