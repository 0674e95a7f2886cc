# shellcheck shell=bash
# Everything a rig command needs before it boots: Debian packages, the
# userspace build (CMake), the guest kernel (cached) and the project's
# modules built against it.

RIG_PACKAGES="qemu-system-x86 busybox-static linux-source-6.1 build-essential
bc bison flex libelf-dev libssl-dev cpio kmod xz-utils sparse cmake pkg-config
libdrm-dev intel-gpu-tools libcmocka-dev"

# deps_ensure: installs what of $RIG_PACKAGES is missing.
deps_ensure() {
	local missing="" pkg
	for pkg in $RIG_PACKAGES; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" ||
			missing="$missing $pkg"
	done
	[ -z "$missing" ] && return 0
	[ "$(id -u)" = 0 ] || die "missing packages:$missing (install them as root)"
	info "installing:$missing"
	{
		apt-get update -q &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
	} >"$RIG_CACHE/apt.log" 2>&1 || die "cannot install$missing, see $RIG_CACHE/apt.log"
}

userspace_build() {
	local build=$TOP_DIR/build
	{
		cmake -S "$TOP_DIR" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
			-DVRAMSHARE_WERROR=ON &&
			cmake --build "$build" -j "$(nproc)"
	} >"$RIG_CACHE/userspace-build.log" 2>&1 ||
		die "userspace build failed, see $RIG_CACHE/userspace-build.log"
}

# modules_ensure NAME MAKE-ARGS...: builds kernel/ against a kernel
# (MAKE-ARGS select it: -C SRC O=OUT, or -C HEADERS) with W=1 and sparse;
# a warning fails the build. Prints the directory holding the .ko files.
modules_ensure() {
	local name=$1 key dir log
	shift
	key=$( (cd "$TOP_DIR" && find kernel tests/kmod -type f \
		\( -name '*.[ch]' -o -name Kbuild -o -name '*.mk' \) \
		-print0 | sort -z | xargs -0 sha256sum; echo "$name $*") | sha256sum | cut -c1-16)
	dir=$RIG_CACHE/modules-$key
	if [ ! -f "$dir/.rig-complete" ]; then
		rm -rf "$dir"
		mkdir -p "$dir"
		mkdir -p "$dir/tests"
		cp -a "$TOP_DIR/kernel" "$dir/kernel"
		cp -a "$TOP_DIR/tests/kmod" "$dir/tests/kmod"
		log=$RIG_CACHE/modules-$key.log
		{
			make "$@" M="$dir/kernel" W=1 C=1 modules &&
				make "$@" M="$dir/tests/kmod" W=1 C=1 modules
		} >"$log" 2>&1 || die "module build failed, see $log"
		if grep -E "warning:|error:" "$log" >"$dir/warnings"; then
			die "module build has warnings (W=1, sparse): $(head -n 1 "$dir/warnings")"
		fi
		touch "$dir/.rig-complete"
	fi
	echo "$dir"
}

# setup_all: builds what every rig run needs; sets RIG_KERNEL (the rig
# kernel's build directory) and RIG_RIG_MODULE_DIR.
setup_all() {
	mkdir -p "$RIG_CACHE"
	deps_ensure
	userspace_build
	RIG_KERNEL=$(kernel_ensure) || exit 1
	RIG_RIG_MODULE_DIR=$(modules_ensure rig -C "$(readlink -f "$RIG_KERNEL/source")" \
		O="$RIG_KERNEL") || exit 1
}

# kernel_select: the kernel of the loaded topology; sets RIG_KERNEL_IMAGE,
# RIG_INITRD (may be empty) and RIG_MODULE_DIR.
kernel_select() {
	case "$TOPO_KERNEL" in
	rig)
		RIG_KERNEL_IMAGE=$RIG_KERNEL/arch/x86/boot/bzImage
		RIG_INITRD=
		RIG_MODULE_DIR=$RIG_RIG_MODULE_DIR
		;;
	debian) stock_ensure ;;
	debian-*) stock_ensure "${TOPO_KERNEL#debian-}" ;;
	*) die "topology $OPT_TOPOLOGY: unknown kernel '$TOPO_KERNEL'" ;;
	esac
}
