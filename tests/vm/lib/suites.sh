# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# ./rig test: the host unit tests (ctest), then each in-VM suite: the igt
# tests run by the harness in a freshly booted rig of the suite's
# topology. Every suite adds to one tally.

TOTAL_PASSED=0
TOTAL_FAILED=0
TOTAL_SKIPPED=0

tally() {
	TOTAL_PASSED=$((TOTAL_PASSED + $1))
	TOTAL_FAILED=$((TOTAL_FAILED + $2))
	TOTAL_SKIPPED=$((TOTAL_SKIPPED + $3))
}

# The suites of ./rig test, in the order they start.
SUITE_NAMES="host vm-default vm-packages-debian-stock vm-packages-debian-6.12
vm-iommu-translated vm-iommufd vm-debian-6.12 vm-debian-stock vm-hotplug vm-unreachable"

# suites_select: checks --suite (a glob over SUITE_NAMES) and --subtest.
suites_select() {
	local name found=0
	if [ -n "$OPT_SUITE" ]; then
		for name in $SUITE_NAMES; do
			# shellcheck disable=SC2053 # a glob, on purpose
			[[ "$name" == $OPT_SUITE ]] && found=1
		done
		[ "$found" = 1 ] ||
			die "--suite '$OPT_SUITE' matches no suite (have: ${SUITE_NAMES//$'\n'/ })"
	fi
	[ "${#OPT_SUBTESTS[@]}" = 0 ] || suites_need_vm ||
		die "--subtest picks igt subtests, which only the in-VM suites run (the host suite is ctest)"
}

# harness_list HARNESS-ARGS...: the igt tests the harness would run with
# these --include/--exclude, one igt@BINARY@SUBTEST per line (igt-harness
# --list, on the host: its own glob matching).
harness_list() {
	local binaries
	shopt -s nullglob
	binaries=("$RIG_BUILD"/tests/igt/vramshare_*)
	shopt -u nullglob
	[ "${#binaries[@]}" -gt 0 ] ||
		die "no igt binaries in $RIG_BUILD/tests/igt (VRAMSHARE_RIG_PROGRAMS is off there?)"
	"$RIG_BUILD/tests/igt/igt-harness" --list "$@" "${binaries[@]}" ||
		die "igt-harness --list failed"
}

# subtests_check: every --subtest glob matches some igt subtest, so that a
# typo is refused before any kernel is built or guest booted.
subtests_check() {
	local glob list
	for glob in "${OPT_SUBTESTS[@]}"; do
		list=$(harness_list --include "$glob") || exit 1
		[ -n "$list" ] ||
			die "--subtest '$glob' matches no igt subtest (rig-build/tests/igt/igt-harness --list rig-build/tests/igt/vramshare_* lists them)"
	done
}

# suite_wanted NAME [OWN-INCLUDES]: runs NAME? --suite selects by name.
# With --subtest, the host suite runs only when --suite names it, and so
# does a suite that runs only some subtests of its own (OWN-INCLUDES=1):
# those subtests would need the suite's machine, not the one chosen.
suite_wanted() {
	# shellcheck disable=SC2053 # a glob, on purpose
	if [ -n "$OPT_SUITE" ]; then
		[[ "$1" == $OPT_SUITE ]]
	elif [ "${#OPT_SUBTESTS[@]}" -gt 0 ]; then
		[ "$1" != host ] && [ "${2:-0}" = 0 ]
	fi
}

# suites_need_vm: is an in-VM suite selected?
suites_need_vm() {
	local name
	for name in $SUITE_NAMES; do
		[ "$name" != host ] && suite_wanted "$name" && return 0
	done
	return 1
}

suite_host() {
	local log=$RIG_CACHE/ctest.log summary total failed
	suite_wanted host || return 0
	info "suite host: unit tests (ctest)"
	(cd "$RIG_BUILD" && ctest --output-on-failure) >"$log" 2>&1 || true
	summary=$(grep -E '^[0-9]+% tests passed' "$log" || true)
	if [ -z "$summary" ]; then
		cat "$log"
		info "suite host: ctest printed no summary"
		tally 0 1 0
		return
	fi
	grep -E 'Failed|\*\*\*' "$log" || true
	total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$summary")
	failed=$(sed -E 's/.*, ([0-9]+) tests? failed.*/\1/' <<<"$summary")
	info "suite host: $summary"
	tally $((total - failed)) "$failed" 0
}

# The in-VM suites run side by side, as many as the cores can carry. A
# guest on the rig's debug kernel keeps one core busy (KASAN, lockdep);
# a guest on Debian's kernel about 40% of one, waiting on edu's DMA and on
# timers. More guests than that slow every one of them down far more than
# in proportion (their timer ticks come at wall-clock rate), so the
# budget is in half-cores: RIG_JOBS cores (--jobs N or VRAMSHARE_RIG_JOBS;
# by default all of them, at most one per 3 GiB of available memory), two
# halves for a rig kernel's guest, one for a Debian kernel's.
rig_jobs_default() {
	local jobs mem_gib
	jobs=$(nproc)
	mem_gib=$(awk '/^MemAvailable:/ { print int($2 / 1048576) }' /proc/meminfo)
	[ $((mem_gib / 3)) -lt "$jobs" ] && jobs=$((mem_gib / 3))
	[ "$jobs" -lt 1 ] && jobs=1
	echo "$jobs"
}

# suite_weight: half-cores the loaded topology's guest needs.
suite_weight() {
	case "$TOPO_KERNEL" in
	rig*) echo 2 ;;
	*) echo 1 ;;
	esac
}

# Running suites: their weight and name by pid, and the weight in use;
# suites waiting for their kernel; background kernel builds.
declare -A SUITE_RUNNING=() SUITE_NAME_OF=()
SUITE_USED=0
SUITE_DEFERRED=()
SUITE_PREBUILDS=()
# In-VM suites that had subtests to run.
SUITES_SELECTED=0

# suite_reap: waits for one running suite to end and adds its counts to
# the tally; a suite that left no result counts as one failure.
suite_reap() {
	local pid='' name p f s run status=0
	wait -n -p pid "${!SUITE_RUNNING[@]}" || status=$?
	[ -n "$pid" ] || die "lost track of the running suites (wait: $status)"
	name=${SUITE_NAME_OF[$pid]}
	SUITE_USED=$((SUITE_USED - SUITE_RUNNING[$pid]))
	unset "SUITE_RUNNING[$pid]" "SUITE_NAME_OF[$pid]"
	if read -r p f s run <"$SUITE_DIR/$name.result" 2>/dev/null; then
		[ "$f" = 0 ] || grep -E '^rig:|: FAIL' "$SUITE_DIR/$name.log" >&2 || true
		info "suite $name: $p passed, $f failed, $s skipped (results: $run/results.json)"
		tally "$p" "$f" "$s"
	else
		info "suite $name: no result, see $SUITE_DIR/$name.log"
		tally 0 1 0
	fi
}

# suite_slot WEIGHT: waits until a guest of WEIGHT fits in the budget.
# The budget never blocks a suite that would run alone.
suite_slot() {
	while [ "$SUITE_USED" -gt 0 ] && [ $((SUITE_USED + $1)) -gt $((RIG_JOBS * 2)) ]; do
		suite_reap
	done
}

# suite_prepare TOPOLOGY: builds what the topology's guest needs (its
# kernel's modules, an initramfs) before suites start in parallel, so
# that no two of them build the same cache entry.
suite_prepare() {
	OPT_TOPOLOGY=$1
	topology_load "$1"
	kernel_select
}

# suite_vm NAME TOPOLOGY [--packages] HARNESS-ARGS...: the igt tests in
# one rig boot (with --packages: on the modules of the Debian packages in
# SUITE_PACKAGES, tests/vm/packages-test.sh),
# started in the background once the budget has room, with its output in
# SUITE_DIR/NAME.log; its counts and run directory go to
# SUITE_DIR/NAME.result. A suite whose rig kernel is still being built
# (suites_prebuild) waits until every other suite has started.
suite_vm() {
	local arg own=0 kept=() i subtest args selection
	for arg in "${@:3}"; do
		[ "$arg" = --include ] && own=1
	done
	suite_wanted "$1" "$own" || return 0
	# --subtest: the suite's excludes stay, its includes give way. With
	# its excludes, a suite may run none of them: then no guest boots.
	if [ "${#OPT_SUBTESTS[@]}" -gt 0 ]; then
		for ((i = 3; i <= $#; i++)); do
			if [ "${!i}" = --include ]; then
				i=$((i + 1))
				continue
			fi
			kept+=("${!i}")
		done
		for subtest in "${OPT_SUBTESTS[@]}"; do
			kept+=(--include "$subtest")
		done
		set -- "$1" "$2" "${kept[@]}"
		args=("${kept[@]}")
		[ "${args[0]}" = --packages ] && args=("${args[@]:1}")
		selection=$(harness_list "${args[@]}") || exit 1
		if [ -z "$selection" ]; then
			info "suite $1: runs none of the --subtest subtests; not started"
			return
		fi
	fi
	SUITES_SELECTED=$((SUITES_SELECTED + 1))
	topology_load "$2"
	if [[ "$TOPO_KERNEL" == rig-* ]] && ! kernel_ready "${TOPO_KERNEL#rig-}"; then
		SUITE_DEFERRED+=("${TOPO_KERNEL#rig-} $(printf '%q ' "$@")")
		info "suite $1: waits for its guest kernel"
		return
	fi
	suite_start "$@"
}

suite_start() {
	local name=$1 topology=$2 weight cmd
	shift 2
	suite_prepare "$topology"
	weight=$(suite_weight)
	# DKMS compiling in the guest keeps a core busy.
	[ "${1:-}" = --packages ] && weight=2
	suite_slot "$weight"
	info "suite $name: igt tests in the rig (topology $topology), started"
	(
		status=0
		# The harness records the commit in results.json.
		cmd=(/usr/bin/env VRAMSHARE_COMMIT="$SUITE_COMMIT")
		if [ "${1:-}" = --packages ]; then
			# The guest installs the packages and loads their modules.
			shift
			RIG_GUEST_SETUP=none
			cmd+=("$RIG_DIR/packages-test.sh" "$SUITE_PACKAGES" "$RIG_DIR/guest-init"
				"$RIG_BUILD" "$@")
		else
			cmd+=("$RIG_BUILD/tests/igt/igt-harness" --results /rig/results.json
				--counts /rig/counts "$@" "$RIG_BUILD"/tests/igt/vramshare_*)
		fi
		rig_boot 0 "${cmd[@]}" || status=$?
		counts=$(cat "$LAST_RUN/counts" 2>/dev/null || echo "0 0 0")
		read -r p f s <<<"$counts"
		if [ "$status" != 0 ] && [ "$f" = 0 ]; then
			# The harness did not report a failure itself: the run did.
			f=1
		fi
		echo "$p $f $s $LAST_RUN" >"$SUITE_DIR/$name.result"
	) >"$SUITE_DIR/$name.log" 2>&1 &
	SUITE_RUNNING[$!]=$weight
	SUITE_NAME_OF[$!]=$name
	SUITE_USED=$((SUITE_USED + weight))
}

# kill_tree PID: PID and everything it started (the guests' QEMU).
kill_tree() {
	local child
	for child in $(pgrep -P "$1"); do
		kill_tree "$child"
	done
	kill "$1" 2>/dev/null || true
}

# suites_abort: on an early exit (a build that failed, an interrupt), no
# guest or background build is left running.
suites_abort() {
	local pid
	for pid in "${!SUITE_RUNNING[@]}" "${SUITE_PREBUILDS[@]}"; do
		kill_tree "$pid"
	done
}

# suites_collect: starts the suites that waited for their kernel, then
# waits for every suite still running.
suites_collect() {
	local deferred series args
	[ "${#SUITE_DEFERRED[@]}" = 0 ] || wait "${SUITE_PREBUILDS[@]}" || true
	for deferred in "${SUITE_DEFERRED[@]}"; do
		series=${deferred%% *}
		args=${deferred#* }
		if ! kernel_ready "$series"; then
			info "suite ${args%% *}: its guest kernel $series did not build (see $RIG_CACHE/kernel-$(kernel_cache_key "$series").log)"
			tally 0 1 0
			continue
		fi
		eval "suite_start $args"
	done
	while [ "${#SUITE_RUNNING[@]}" -gt 0 ]; do
		suite_reap
	done
}

# suites_prebuild TOPOLOGY...: starts building, in the background and
# niced (the guests come first), the rig kernels of other series that
# these topologies boot, so that a cold run builds them while the suites
# that do not need them run. kernel_ensure's lock makes the suite that
# needs one wait for this build instead of starting its own.
suites_prebuild() {
	local topology series
	for topology in "$@"; do
		topology_load "$topology"
		case "$TOPO_KERNEL" in rig-*) ;; *) continue ;; esac
		series=${TOPO_KERNEL#rig-}
		kernel_ready "$series" && continue
		info "guest kernel $series: building in the background if needed"
		(
			renice -n 19 -p "$BASHPID" >/dev/null
			# beside the suites' lines, a progress line every 5 minutes
			KERNEL_PROGRESS_SECONDS=300
			kernel_ensure "$series" >/dev/null
		) &
		SUITE_PREBUILDS+=("$!")
	done
}

suites_run_all() {
	trap suites_abort EXIT
	suite_wanted vm-iommufd && suites_prebuild iommufd
	suite_host
	# Subtests that need a machine of their own run only in their suite.
	local own=(--exclude '*unreachable*' --exclude 'surprise-removal')
	# Per topology only what differs there, to keep a cold ./rig test
	# under an hour: the long races (about 2 minutes) and the GEM close
	# racing a reset run on the rig's debug kernel only; the reset storm
	# (half a minute) also on the newest kernel; the IOMMU topologies
	# differ in routes and vfio containers, not in low-power handling.
	local races=(--exclude 'decode-write*' --exclude 'close-during-revocations'
		--exclude 'gem-close-racing-reset')
	local storm=(--exclude 'reset-storm')
	local local_state=(--exclude 'low-power-entry*' --exclude 'low-power-exit*'
		--exclude 'low-power-race' --exclude 'reopen-after-*')
	# The broker is userspace over the same uAPI everywhere: its whole
	# suite (about 2 minutes) runs on the rig's kernel and the newest;
	# elsewhere only allocation, sharing and isolation, which prove that
	# it opens the devices of that machine (vfio containers, IOMMU).
	local broker=(--exclude 'broker-64-clients' --exclude 'broker-client-*'
		--exclude 'broker-killed-*' --exclude 'broker-policy-*'
		--exclude 'broker-reset-events' --exclude 'broker-hostile-peer'
		--exclude 'broker-holder-*' --exclude 'broker-clears-ahead')
	# The library's restart of interrupted ioctls (half a minute of
	# signals) depends on the kernel, not on the route: the rig's kernel
	# and the newest. 64 broker clients (a minute) only on the rig's.
	local signals=(--exclude 'lib-copy-signal-storm')
	# drm_sched's side of the jobs (queues, fences, timeouts, hangs)
	# depends on the kernel's scheduler, not on routes or the IOMMU:
	# where 6.1 runs again, only the jobs that touch imported memory.
	local scheduler=(--exclude 'submit-invalid' --exclude 'fill-sizes'
		--exclude 'queue-*' --exclude 'waiting-client-does-not-block-another'
		--exclude 'close-cancels-waiting-jobs' --exclude 'in-fence-*'
		--exclude 'syncobj-chain' --exclude 'job-timeout'
		--exclude 'engine-hang-recovery' --exclude 'engine-lost'
		--exclude 'copy-interrupted' --exclude 'copy-overlap-refused'
		--exclude 'module-unload-with-fence'
		--exclude 'submit-racing-engine-unbind')
	local many_clients=(--exclude 'broker-64-clients')
	# The samples are programs over the library, the broker and the
	# Vulkan loader: they run where the whole broker suite runs. Vulkan
	# on lavapipe takes about 20 s to start in the emulated guest.
	local samples=(--exclude 'sample-*')
	# The benchmarks' short mode checks that they run and write good
	# JSON; ./rig bench runs them on a Debian kernel, so does this.
	local bench=(--exclude 'bench-*')
	# The broker clearing a whole BAR ahead through vfio's pwrite takes
	# over three minutes under KASAN, 5 s on Debian's 6.12 kernel: the
	# same userspace, so the latter only.
	local clears=(--exclude 'broker-clears-ahead')
	# cmd_test checked --jobs and VRAMSHARE_RIG_JOBS before building.
	RIG_JOBS=${RIG_JOBS:-$(rig_jobs_default)}
	SUITE_DIR=$RIG_CACHE/test-$(date +%Y%m%d-%H%M%S)
	SUITE_COMMIT=$(git -C "$TOP_DIR" describe --always --dirty 2>/dev/null || echo unknown)
	if suites_need_vm; then
		mkdir -p "$SUITE_DIR"
		run_lock "$SUITE_DIR"
		info "in-VM suites: side by side on $RIG_JOBS cores; logs in $SUITE_DIR"
	fi
	# Longest first, so that the short ones fill in around them; the
	# kernel built in the background (iommufd's) is needed last.
	suite_vm vm-default default "${own[@]}" "${bench[@]}" "${clears[@]}"
	# The Debian packages on Debian's kernels: DKMS builds the modules in
	# the guest (about 10 minutes under TCG), then export, import, copy,
	# reset and the packaged broker run on them.
	local packaged=(--include 'modules-version' --include 'export-basic'
		--include 'import-basic' --include 'bo-create-mmap' --include 'p2p-copy'
		--include 'vram-fill-copy' --include 'reset-revoke-restore'
		--include 'hot-reset-revoke-restore' --include 'revoke-queued-jobs'
		--include 'broker-alloc-import-copy' --include 'broker-reset-events')
	if ! { suite_wanted vm-packages-debian-stock 1 || suite_wanted vm-packages-debian-6.12 1; }; then
		:
	elif SUITE_PACKAGES=$(packages_build); then
		suite_vm vm-packages-debian-stock debian-stock --packages "${packaged[@]}"
		suite_vm vm-packages-debian-6.12 debian-6.12 --packages "${packaged[@]}"
	else
		info "suite vm-packages: the packages did not build"
		tally 0 1 0
	fi
	# With an IOMMU: a translated importer reached through the host
	# bridge (vfio type1 container), and passthrough below the switch on
	# the rig's kernel built on 6.12 with iommufd and the vfio device cdev
	# only. The iommu-pt topology (the same passthrough on 6.1, through a
	# container) is left to manual runs: its containers and IOMMU are
	# covered by iommu-translated, its routes by iommufd. No NVMe there.
	suite_vm vm-iommu-translated iommu-translated "${own[@]}" "${races[@]}" \
		"${storm[@]}" "${local_state[@]}" "${broker[@]}" "${signals[@]}" \
		"${scheduler[@]}" "${samples[@]}" "${bench[@]}" --exclude 'nvme-*'
	suite_vm vm-iommufd iommufd "${own[@]}" "${races[@]}" "${storm[@]}" \
		"${local_state[@]}" "${broker[@]}" "${signals[@]}" "${scheduler[@]}" \
		"${samples[@]}" "${bench[@]}" --exclude 'nvme-*'
	# Debian 12's 6.12 kernel: the interfaces that moved after 6.1.
	suite_vm vm-debian-6.12 debian-6.12 "${own[@]}" "${races[@]}" \
		"${many_clients[@]}" --exclude 'nvme-*'
	# Debian's stock kernel: no PCI_P2PDMA, no DMABUF_MOVE_NOTIFY.
	suite_vm vm-debian-stock debian-stock "${own[@]}" "${races[@]}" "${storm[@]}" \
		"${broker[@]}" "${signals[@]}" "${scheduler[@]}" "${samples[@]}" \
		"${bench[@]}" --exclude 'nvme-*'
	# GPU A removed by QEMU (device_del), as a hot-unplug would.
	suite_vm vm-hotplug hotplug --include 'surprise-removal'
	suite_vm vm-unreachable unreachable --include '*unreachable*'
	suites_collect
	if [ "${#OPT_SUBTESTS[@]}" -gt 0 ] && [ "$SUITES_SELECTED" = 0 ]; then
		info "--subtest: no suite chosen runs these subtests (a suite of a few subtests of its own, vm-packages-*, vm-hotplug or vm-unreachable, runs only when --suite names it)"
		tally 0 1 0
	fi
	trap - EXIT
	echo "$TOTAL_PASSED passed, $TOTAL_FAILED failed, $TOTAL_SKIPPED skipped"
	[ "$TOTAL_FAILED" = 0 ]
}
