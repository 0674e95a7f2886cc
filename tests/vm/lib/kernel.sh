# shellcheck shell=bash
# Guest kernel: built from Debian's linux-source-6.1 with tests/vm/kernel/rig.config,
# cached outside the repository under a key made of the source version and the config,
# so that only a change of either rebuilds it.

KERNEL_SRC_TARBALL=/usr/src/linux-source-6.1.tar.xz

kernel_source_version() {
	dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null
}

# The key covers everything that shapes the build: source version, fragment, build steps.
kernel_cache_key() {
	{
		kernel_source_version
		cat "$RIG_DIR/kernel/rig.config" "$RIG_DIR/kernel/build.sh"
	} | sha256sum | cut -c1-16
}

# Prints the build directory (make O=...) of the cached kernel, building it if needed.
kernel_ensure() {
	local ver key src out log
	ver=$(kernel_source_version)
	[ -n "$ver" ] || die "linux-source-6.1 is not installed"
	key=$(kernel_cache_key)
	src="$RIG_CACHE/linux-source-$ver"
	out="$RIG_CACHE/kernel-$key"
	if [ -f "$out/.rig-complete" ]; then
		echo "$out"
		return 0
	fi
	mkdir -p "$RIG_CACHE"
	(
		flock 9
		[ -f "$out/.rig-complete" ] && exit 0
		if [ ! -f "$src/.rig-extracted" ]; then
			info "extracting linux-source $ver"
			rm -rf "$src" "$src.tmp"
			mkdir -p "$src.tmp"
			tar -xJf "$KERNEL_SRC_TARBALL" -C "$src.tmp" --strip-components=1 ||
				die "cannot extract $KERNEL_SRC_TARBALL"
			mv "$src.tmp" "$src"
			touch "$src/.rig-extracted"
		fi
		log="$RIG_CACHE/kernel-$key.log"
		info "building guest kernel $key (linux $ver; about 20 minutes on 2 cores, once)"
		rm -rf "$out"
		mkdir -p "$out"
		bash "$RIG_DIR/kernel/build.sh" "$src" "$out" "$RIG_DIR/kernel/rig.config" >"$log" 2>&1 ||
			die "guest kernel build failed, see $log"
		touch "$out/.rig-complete"
	) 9>"$RIG_CACHE/kernel.lock" || exit 1
	echo "$out"
}
