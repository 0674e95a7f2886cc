#!/bin/bash
# SPDX-License-Identifier: MIT
# ./rig clean and the pruning of runs, on a cache of empty stand-ins: what
# the tree as it is would use stays, the rest goes, --all removes it all,
# and runs beyond VRAMSHARE_KEEP_RUNS are pruned newest last; packages of
# a tree edited while they were built are not kept.
#   tests/host/check-rig-cache.sh
set -eu
cd "$(dirname "$(readlink -f "$0")")/../.."
export VRAMSHARE_CACHE
VRAMSHARE_CACHE=$(mktemp -d)
trap 'rm -rf "$VRAMSHARE_CACHE"' EXIT
status=0
fail() {
	echo "FAIL: $*"
	status=1
}

# The rig's own idea of the current entries.
# shellcheck source=tests/vm/lib/common.sh
. tests/vm/lib/common.sh
for lib in kernel setup stock packages cache; do
	# shellcheck source=/dev/null
	. "tests/vm/lib/$lib.sh"
done
# The guest kernels' stand-ins first: their module builds are current
# only once the kernels exist (a kernel build links its source).
cache_current | grep -E '/(kernel-[0-9a-f]{16}|linux-source-.*)$' | xargs -r mkdir -p
for series in "$RIG_KERNEL_SERIES_DEFAULT" 6.12; do
	ln -s "$RIG_CACHE/linux-source-$(kernel_source_version "$series")" \
		"$RIG_CACHE/kernel-$(kernel_cache_key "$series")/source"
done
current=$(cache_current)
grep -q '/modules-' <<<"$current" || fail "cache_current names no module build"

stale=("$RIG_CACHE/kernel-0123456789abcdef" "$RIG_CACHE/kernel-0123456789abcdef.log"
	"$RIG_CACHE/kernel-0123456789abcdef.fragment" "$RIG_CACHE/linux-source-5.10.0-1"
	"$RIG_CACHE/modules-fedcba9876543210" "$RIG_CACHE/modules-fedcba9876543210.log"
	"$RIG_CACHE/modules-fedcba9876543210.log.gpu-sched"
	"$RIG_CACHE/initramfs-5.10.0-1-amd64-0011223344556677.cpio.gz"
	"$RIG_CACHE/packages-8899aabbccddeeff" "$RIG_CACHE/packages-8899aabbccddeeff.lintian"
	"$RIG_CACHE/runs/20260101-000000-abcd" "$RIG_CACHE/test-20260101-000000")
while read -r entry; do
	case "$entry" in
	*.cpio.gz) touch "$entry" ;;
	*) mkdir -p "$entry" && touch "$entry.log" ;;
	esac
done <<<"$current"
for entry in "${stale[@]}"; do
	mkdir -p "$(dirname "$entry")"
	case "$entry" in
	*.log* | *.fragment | *.lintian | *.cpio.gz) touch "$entry" ;;
	*) mkdir -p "$entry" ;;
	esac
done
touch "$RIG_CACHE/kernel.lock"
# A run still going: its guest holds the lock.
live=$RIG_CACHE/runs/20260102-000000-live
mkdir -p "$live"
exec {live_lock}>"$live/.lock"
flock -n "$live_lock"

./rig clean >/dev/null 2>&1 || fail "./rig clean failed"
[ -d "$live" ] || fail "./rig clean removed a run in use"
exec {live_lock}>&-
rm -rf "$live"
for entry in "${stale[@]}"; do
	[ ! -e "$entry" ] || fail "./rig clean left $entry"
done
while read -r entry; do
	[ -e "$entry" ] || fail "./rig clean removed $entry, which the tree uses"
	case "$entry" in *.cpio.gz) ;; *) [ -e "$entry.log" ] || fail "./rig clean removed $entry.log" ;; esac
done <<<"$current"

# Pruning: the newest N runs and test logs stay.
for i in 1 2 3 4 5; do
	mkdir -p "$RIG_CACHE/runs/2026010$i-000000-abcd" "$RIG_CACHE/test-2026010$i-000000"
done
# shellcheck disable=SC2034 # read by runs_prune
RIG_KEEP_RUNS=2
runs_prune
[ "$(cd "$RIG_CACHE/runs" && echo *)" = "20260104-000000-abcd 20260105-000000-abcd" ] ||
	fail "pruning kept runs $(cd "$RIG_CACHE/runs" && echo *), not the newest 2"
[ "$(cd "$RIG_CACHE" && echo test-*)" = "test-20260104-000000 test-20260105-000000" ] ||
	fail "pruning kept $(cd "$RIG_CACHE" && echo test-*), not the newest 2"

./rig clean --all >/dev/null 2>&1 || fail "./rig clean --all failed"
left=$(cd "$RIG_CACHE" && find . -mindepth 1 ! -name kernel.lock)
[ -z "$left" ] || fail "./rig clean --all left: $left"

# The packages' cache entry is keyed by the files as they were copied: the
# packages of a tree edited during the build (here by a stand-in
# dpkg-buildpackage) are used once, not kept under the key of its old text.
tree=$RIG_CACHE/tree
mkdir -p "$tree/bin"
echo 1.0.0 >"$tree/VERSION"
git -C "$tree" init -q && git -C "$tree" add VERSION
printf '#!/bin/sh\necho edited >>%q/VERSION\n' "$tree" >"$tree/bin/dpkg-buildpackage"
printf '#!/bin/sh\n' >"$tree/bin/lintian"
chmod +x "$tree/bin/dpkg-buildpackage" "$tree/bin/lintian"
out=$(TOP_DIR=$tree PATH=$tree/bin:$PATH packages_build 2>&1) ||
	fail "packages_build failed on a tree edited during the build: $out"
dir=$(tail -n 1 <<<"$out")
if [ ! -d "$dir" ] || [ -e "$dir/.rig-complete" ]; then
	fail "packages_build kept packages of a tree edited during the build: $out"
fi
[[ "$out" == *"the tree changed while its packages were built"* ]] ||
	fail "packages_build did not say the tree changed: $out"
rm -rf "$tree"

[ "$status" = 0 ] && echo "./rig clean and the pruning keep what they should"
exit "$status"
