# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Everything a rig command needs before it boots: Debian packages, the
# userspace build (CMake), the guest kernel (cached) and the project's
# modules built against it.

RIG_PACKAGES="qemu-system-x86 busybox-static linux-source-6.1 linux-source-6.12 build-essential
bc bison flex libelf-dev libssl-dev cpio kmod xz-utils sparse cmake pkg-config
libdrm-dev intel-gpu-tools libcmocka-dev libinih-dev libjson-c-dev libsystemd-dev
clang libclang-rt-14-dev libvulkan-dev mesa-vulkan-drivers glslang-tools
vulkan-validationlayers gnuplot-nox debhelper dh-dkms dkms lintian shellcheck"

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
	local build=$RIG_BUILD
	{
		cmake -S "$TOP_DIR" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
			-DVRAMSHARE_WERROR=ON &&
			cmake --build "$build" -j "$(nproc)"
	} >"$RIG_CACHE/userspace-build.log" 2>&1 ||
		die "userspace build failed, see $RIG_CACHE/userspace-build.log"
}

# sched_build DIR SRC MAKE-ARGS...: builds gpu-sched (drm_sched) from the
# kernel source SRC into DIR/gpu-sched, for a kernel that does not ship
# it: DRM_SCHED has no prompt of its own (drivers select it), and the
# rig's kernel builds no driver that does. It is the kernel's code, built
# as it is: without the project's W=1 and sparse.
sched_build() {
	local dir=$1/gpu-sched src=$2/drivers/gpu/drm/scheduler
	shift 2
	mkdir -p "$dir"
	cp "$src"/*.[ch] "$dir/"
	cat >"$dir/Kbuild" <<-'KBUILD'
		obj-m := gpu-sched.o
		gpu-sched-y := sched_main.o sched_fence.o sched_entity.o
	KBUILD
	make "$@" M="$dir" modules
}

# modules_key NAME SCHED-SRC MAKE-ARGS...: the cache key of a module
# build: the sources, the kernel it is built for, the compiler, the steps.
modules_key() {
	(cd "$TOP_DIR" && { find kernel tests/kmod -type f \
		\( -name '*.[ch]' -o -name Kbuild -o -name '*.mk' \) -print0;
		printf 'VERSION\0'; } | sort -z | xargs -0 sha256sum
	echo "$*"
	compiler_version
	declare -f sched_build) | sha256sum | cut -c1-16
}

# modules_ensure NAME SCHED-SRC MAKE-ARGS...: builds kernel/ against a
# kernel (MAKE-ARGS select it: -C SRC O=OUT, or -C HEADERS) with W=1 and
# sparse; a warning fails the build. SCHED-SRC is the kernel source to
# build gpu-sched from, or - when the kernel ships it. Prints the
# directory holding the .ko files.
modules_ensure() {
	local sched_src=$2 dir log extra=()
	dir=$RIG_CACHE/modules-$(modules_key "$@")
	shift 2
	# Two rig commands may want the same build: the second waits for it.
	[ -f "$dir/.rig-complete" ] || (
		flock 9
		[ -f "$dir/.rig-complete" ] && exit 0
		rm -rf "$dir"
		mkdir -p "$dir"
		mkdir -p "$dir/tests"
		cp -a "$TOP_DIR/kernel" "$dir/kernel"
		cp -a "$TOP_DIR/VERSION" "$dir/VERSION"
		cp -a "$TOP_DIR/tests/kmod" "$dir/tests/kmod"
		log=$dir.log
		if [ "$sched_src" != - ]; then
			sched_build "$dir" "$sched_src" "$@" >"$log.gpu-sched" 2>&1 ||
				die "gpu-sched build failed, see $log.gpu-sched"
			extra=(KBUILD_EXTRA_SYMBOLS="$dir/gpu-sched/Module.symvers")
		fi
		{
			make "$@" "${extra[@]}" M="$dir/kernel" W=1 C=1 modules &&
				make "$@" M="$dir/tests/kmod" W=1 C=1 modules
		} >"$log" 2>&1 || die "module build failed, see $log"
		if grep -E "warning:|error:" "$log" >"$dir/warnings"; then
			die "module build has warnings (W=1, sparse): $(head -n 1 "$dir/warnings")"
		fi
		touch "$dir/.rig-complete"
	) 9>"$dir.lock" || exit 1
	echo "$dir"
}

# setup_host: what the host suite needs: packages and the userspace build.
setup_host() {
	mkdir -p "$RIG_CACHE"
	deps_ensure
	userspace_build
}

# setup_all: builds what every rig run needs; sets RIG_KERNEL (the rig
# kernel's build directory) and RIG_RIG_MODULE_DIR.
setup_all() {
	setup_host
	setup_kernel
}

# setup_kernel: the rig's 6.1 kernel and the modules built against it.
setup_kernel() {
	RIG_KERNEL=$(kernel_ensure) || exit 1
	RIG_RIG_MODULE_DIR=$(rig_modules modules_ensure "$RIG_KERNEL_SERIES_DEFAULT" "$RIG_KERNEL") ||
		exit 1
}

# rig_modules FUNCTION SERIES BUILD: FUNCTION (modules_ensure or
# modules_key) for the modules built against the rig's kernel of SERIES
# in BUILD; ./rig clean names them the same way.
rig_modules() {
	local function=$1 series=$2 build=$3 name=rig src
	[ "$series" = "$RIG_KERNEL_SERIES_DEFAULT" ] || name=rig-$series
	src=$(readlink -f "$build/source")
	"$function" "$name" "$src" -C "$src" O="$build"
}

# rig_series_ensure SERIES: the rig's debug kernel of SERIES and the
# project's modules built against it; sets RIG_KERNEL_IMAGE, RIG_INITRD
# (empty: the rig's kernels boot the 9p root without one) and
# RIG_MODULE_DIR. The default series is what setup_all built.
rig_series_ensure() {
	local series=$1 build
	if [ "$series" = "$RIG_KERNEL_SERIES_DEFAULT" ]; then
		build=$RIG_KERNEL
		RIG_MODULE_DIR=$RIG_RIG_MODULE_DIR
	else
		build=$(kernel_ensure "$series") || exit 1
		RIG_MODULE_DIR=$(rig_modules modules_ensure "$series" "$build") || exit 1
	fi
	RIG_KERNEL_IMAGE=$build/arch/x86/boot/bzImage
	RIG_INITRD=
}

# kernel_select: the kernel of the loaded topology; sets RIG_KERNEL_IMAGE,
# RIG_INITRD (may be empty) and RIG_MODULE_DIR.
kernel_select() {
	case "$TOPO_KERNEL" in
	rig) rig_series_ensure "$RIG_KERNEL_SERIES_DEFAULT" ;;
	rig-*) rig_series_ensure "${TOPO_KERNEL#rig-}" ;;
	debian) stock_ensure ;;
	debian-*) stock_ensure "${TOPO_KERNEL#debian-}" ;;
	*) die "topology $OPT_TOPOLOGY: unknown kernel '$TOPO_KERNEL'" ;;
	esac
}
