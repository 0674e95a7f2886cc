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

# compiler_version: the compiler kbuild uses (gcc), as the kernel records
# it (CONFIG_CC_VERSION_TEXT). Modules built by another compiler than the
# kernel's draw kbuild's "the compiler differs" warning, which fails the
# rig's module build: so a compiler upgrade makes new cache keys.
compiler_version() {
	gcc --version | head -n 1
}

# The key covers everything that shapes the build: source version,
# fragment, build steps, compiler.
kernel_cache_key() {
	{
		kernel_source_version "$1"
		compiler_version
		kernel_fragment "$1"
		cat "$RIG_DIR/kernel/build.sh"
	} | sha256sum | cut -c1-16
}

# kernel_ensure [SERIES]: prints the build directory (make O=...) of the
# cached kernel of SERIES (default 6.1), building it if needed. Concurrent
# callers wait on a lock, so a build started in the background is shared.
kernel_ensure() {
	local series=${1:-$RIG_KERNEL_SERIES_DEFAULT} ver key src out log tarball lock progress
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
		if ! flock -n 9; then
			info "guest kernel $series: another run is building it; waiting (log: $RIG_CACHE/kernel-$key.log)"
			flock 9
		fi
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
		info "building guest kernel $key (linux $ver; 9 to 16 minutes on 2 cores, once; log: $log)"
		rm -rf "$out"
		mkdir -p "$out"
		kernel_fragment "$series" >"$out.fragment"
		# The build in the foreground, so that an interrupt stops it.
		kernel_progress "$series" "$log" "$BASHPID" &
		progress=$!
		bash "$RIG_DIR/kernel/build.sh" "$src" "$out" "$out.fragment" >"$log" 2>&1 ||
			{ kill "$progress"; die "guest kernel $series build failed, see $log"; }
		kill "$progress"
		kernel_check_unset "$out" "$RIG_DIR/kernel/rig-$series.config" ||
			die "guest kernel $series: an option rig-$series.config turns off is on"
		touch "$out/.rig-complete"
	) 9>"$lock" || exit 1
	echo "$out"
}

# Lines a whole build writes to its log (measured; only for the progress
# figure, which a config change makes a little off).
declare -A KERNEL_LOG_LINES=([6.1]=2714 [6.12]=2900)

# kernel_progress SERIES LOG PID: until killed or PID is gone, a line
# every KERNEL_PROGRESS_SECONDS (default a minute) with how far the build
# got (its log's lines against a whole build's) and the file it is at.
kernel_progress() {
	local series=$1 log=$2 pid=$3 start=$SECONDS lines total last
	total=${KERNEL_LOG_LINES[$series]:-2800}
	while sleep "${KERNEL_PROGRESS_SECONDS:-60}" && kill -0 "$pid" 2>/dev/null; do
		lines=$(grep -c '' "$log" 2>/dev/null || echo 0)
		last=$(tail -n 1 "$log" 2>/dev/null | awk '{ print $NF }')
		[ "$lines" -gt "$total" ] && lines=$total
		info "guest kernel $series: about $((lines * 100 / total))% after $(((SECONDS - start) / 60)) min (${last##*/})"
	done
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
