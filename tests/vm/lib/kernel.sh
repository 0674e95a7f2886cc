# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Guest kernels: the rig's debug kernel, built from Debian's linux-source-6.1
# with tests/vm/kernel/rig.config, and the same on linux-source-6.12 with
# rig-6.12.config over it (iommufd and the vfio device cdev, which 6.1 does
# not have). Each is cached outside the repository under a key made of the
# source version and the config, so that only a change of either rebuilds it.

# The kernel series the rig builds, and the one `kernel: rig` means.
RIG_KERNEL_SERIES_DEFAULT=6.1

kernel_source_version() {
	dpkg-query -W -f='${Status} ${Version}' "linux-source-$1" 2>/dev/null |
		sed -n 's/^install ok installed //p'
}

# kernel_fragment SERIES: the config fragment of SERIES on stdout: rig.config,
# then rig-SERIES.config where there is one, the last setting of an option
# winning (so that build.sh checks each option once, as finally wanted).
kernel_fragment() {
	local extra=$RIG_DIR/kernel/rig-$1.config
	if [ ! -f "$extra" ]; then
		cat "$RIG_DIR/kernel/rig.config"
		return
	fi
	cat "$RIG_DIR/kernel/rig.config" "$extra" | awk '
		{ key = "" }
		/^CONFIG_[A-Z0-9_]+=/ { key = $0; sub(/=.*/, "", key) }
		/^# CONFIG_[A-Z0-9_]+ is not set/ { key = $2 }
		key == "" { next }
		{ if (!(key in line)) order[n++] = key; line[key] = $0 }
		END { for (i = 0; i < n; i++) print line[order[i]] }'
}

# The key covers everything that shapes the build: source version, fragment, build steps.
kernel_cache_key() {
	{
		kernel_source_version "$1"
		kernel_fragment "$1"
		cat "$RIG_DIR/kernel/build.sh"
	} | sha256sum | cut -c1-16
}

# kernel_ensure [SERIES]: prints the build directory (make O=...) of the
# cached kernel of SERIES (default 6.1), building it if needed. Concurrent
# callers wait on a lock, so a build started in the background is shared.
kernel_ensure() {
	local series=${1:-$RIG_KERNEL_SERIES_DEFAULT} ver key src out log tarball lock
	ver=$(kernel_source_version "$series")
	[ -n "$ver" ] || die "linux-source-$series is not installed"
	tarball=/usr/src/linux-source-$series.tar.xz
	key=$(kernel_cache_key "$series")
	# The default series keeps the lock name it always had.
	lock=$RIG_CACHE/kernel.lock
	[ "$series" = "$RIG_KERNEL_SERIES_DEFAULT" ] || lock=$RIG_CACHE/kernel-$series.lock
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
			tar -xJf "$tarball" -C "$src.tmp" --strip-components=1 ||
				die "cannot extract $tarball"
			mv "$src.tmp" "$src"
			touch "$src/.rig-extracted"
		fi
		log="$RIG_CACHE/kernel-$key.log"
		info "building guest kernel $key (linux $ver; about 15 minutes on 2 cores, once)"
		rm -rf "$out"
		mkdir -p "$out"
		kernel_fragment "$series" >"$out.fragment"
		bash "$RIG_DIR/kernel/build.sh" "$src" "$out" "$out.fragment" >"$log" 2>&1 ||
			die "guest kernel $series build failed, see $log"
		kernel_check_unset "$out" "$RIG_DIR/kernel/rig-$series.config" ||
			die "guest kernel $series: an option rig-$series.config turns off is on"
		touch "$out/.rig-complete"
	) 9>"$lock" || exit 1
	echo "$out"
}

# kernel_check_unset OUT FRAGMENT: build.sh checks what a fragment turns
# on; this checks what a series' own fragment (if any) turns off
# ("# CONFIG_X is not set"), such as the 6.12 kernel's vfio groups.
kernel_check_unset() {
	local opt bad=0
	[ -f "$2" ] || return 0
	for opt in $(sed -n 's/^# \(CONFIG_[A-Z0-9_]*\) is not set$/\1/p' "$2"); do
		if grep -q "^$opt=" "$1/.config"; then
			echo "kernel config: $opt is on, the fragment turns it off" >&2
			bad=1
		fi
	done
	return $bad
}

# kernel_ready SERIES: is the kernel of SERIES built and cached?
kernel_ready() {
	[ -f "$RIG_CACHE/kernel-$(kernel_cache_key "$1")/.rig-complete" ]
}
