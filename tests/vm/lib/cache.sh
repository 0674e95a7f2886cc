# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# The rig's cache (RIG_CACHE): what ./rig clean removes, and the pruning
# of run directories every run does. Entries are removed by the names the
# rig gives them, never by a wildcard over the whole directory, since
# VRAMSHARE_CACHE may point anywhere.

# Run directories (runs/DATE-XXXX) and ./rig test's logs (test-DATE) kept.
RIG_KEEP_RUNS=${VRAMSHARE_KEEP_RUNS:-30}

# keep_newest N DIR...: removes all but the newest N of DIR... (their
# names start with a sortable date), and never one in use: a run's guest
# and ./rig test hold a lock on DIR/.lock while they run.
keep_newest() {
	local keep=$1 dir
	shift
	[ $# -gt "$keep" ] || return 0
	while IFS= read -r -d '' dir; do
		flock -n "$dir/.lock" true 2>/dev/null && rm -rf "$dir"
	done < <(printf '%s\0' "$@" | sort -z | head -z -n $(($# - keep)))
}

# run_lock DIR: holds DIR/.lock as long as this shell lives.
run_lock() {
	local fd
	exec {fd}>"$1/.lock"
	flock -n "$fd"
}

# keep_runs_check: VRAMSHARE_KEEP_RUNS, checked before a command that
# prunes runs builds or boots anything.
keep_runs_check() {
	positive_number VRAMSHARE_KEEP_RUNS "$RIG_KEEP_RUNS"
}

# runs_prune: the newest RIG_KEEP_RUNS run directories and test logs stay.
runs_prune() {
	keep_runs_check
	shopt -s nullglob
	keep_newest "$RIG_KEEP_RUNS" "$RIG_CACHE"/runs/2*
	keep_newest "$RIG_KEEP_RUNS" "$RIG_CACHE"/test-2*
	shopt -u nullglob
}

# cache_current: the cache entries the tree as it is would use, one per
# line: the guest kernels of this compiler and config and their sources,
# the module builds for them and for Debian's installed kernels, the
# initramfs of those, the packages.
cache_current() {
	local series ver key build v
	for series in "$RIG_KERNEL_SERIES_DEFAULT" 6.12; do
		ver=$(kernel_source_version "$series")
		[ -n "$ver" ] || continue
		key=$(kernel_cache_key "$series")
		build=$RIG_CACHE/kernel-$key
		echo "$RIG_CACHE/linux-source-$ver"
		echo "$build"
		[ -d "$build" ] || continue
		echo "$RIG_CACHE/modules-$(rig_modules modules_key "$series" "$build")"
	done
	for build in /lib/modules/*/build; do
		[ -e "$build/Makefile" ] || continue
		v=${build%/build}
		v=${v#/lib/modules/}
		echo "$RIG_CACHE/modules-$(modules_key "stock-$v" - -C "/lib/modules/$v/build")"
		stock_initramfs_path "$v"
	done
	packages_dir
}

# cache_clean ALL: removes what the tree as it is would not use (with ALL,
# everything) and every run directory and test log.
cache_clean() {
	local all=$1 entry base suffix current freed
	[ -d "$RIG_CACHE" ] || { info "nothing to clean in $RIG_CACHE"; return 0; }
	freed=$(du -sm "$RIG_CACHE" | cut -f1)
	current=$([ -n "$all" ] || cache_current)
	shopt -s nullglob
	for entry in "$RIG_CACHE"/kernel-[0-9a-f]*[0-9a-f] "$RIG_CACHE"/kernel-[0-9a-f]*.log \
		"$RIG_CACHE"/linux-source-* \
		"$RIG_CACHE"/kernel-[0-9a-f]*.fragment \
		"$RIG_CACHE"/modules-[0-9a-f]* "$RIG_CACHE"/initramfs-*.cpio.gz \
		"$RIG_CACHE"/packages-[0-9a-f]*; do
		# a build's log and leftovers go with it (KEY.log, KEY.fragment, ...)
		base=$entry
		for suffix in .tmp .gpu-sched .log .fragment .lintian .lock; do
			base=${base%"$suffix"}
		done
		grep -qxF "$base" <<<"$current" && continue
		rm -rf "$entry"
	done
	# every run directory and test log not in use
	keep_newest 0 "$RIG_CACHE"/runs/2* "$RIG_CACHE"/test-2*
	rmdir "$RIG_CACHE/runs" 2>/dev/null || true
	shopt -u nullglob
	freed=$((freed - $(du -sm "$RIG_CACHE" | cut -f1)))
	info "removed ${freed} MiB from $RIG_CACHE${all:+ (everything)}"
}
