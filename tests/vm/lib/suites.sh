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

suite_host() {
	local log=$RIG_CACHE/ctest.log summary total failed
	info "suite host: unit tests (ctest)"
	(cd "$TOP_DIR/build" && ctest --output-on-failure) >"$log" 2>&1 || true
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

# suite_vm NAME TOPOLOGY HARNESS-ARGS...: the igt tests in one rig boot.
suite_vm() {
	local name=$1 topology=$2 status=0 counts
	shift 2
	info "suite $name: igt tests in the rig (topology $topology)"
	OPT_TOPOLOGY=$topology
	rig_boot 0 "$TOP_DIR/build/tests/igt/igt-harness" \
		--results /rig/results.json --counts /rig/counts "$@" \
		"$TOP_DIR"/build/tests/igt/vramshare_* || status=$?
	counts=$(cat "$LAST_RUN/counts" 2>/dev/null || echo "0 0 0")
	read -r p f s <<<"$counts"
	if [ "$status" != 0 ] && [ "$f" = 0 ]; then
		# The harness did not report a failure itself: the run did.
		f=1
	fi
	info "suite $name: $p passed, $f failed, $s skipped (results: $LAST_RUN/results.json)"
	tally "$p" "$f" "$s"
}

suites_run_all() {
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
		--exclude 'broker-reset-events' --exclude 'broker-hostile-peer')
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
	suite_vm vm-default default "${own[@]}"
	suite_vm vm-unreachable unreachable --include '*unreachable*'
	# With an IOMMU: passthrough below the switch, and a translated
	# importer reached through the host bridge. No NVMe there.
	suite_vm vm-iommu-pt iommu-pt "${own[@]}" "${races[@]}" "${storm[@]}" \
		"${local_state[@]}" "${broker[@]}" "${signals[@]}" "${scheduler[@]}" --exclude 'nvme-*'
	suite_vm vm-iommu-translated iommu-translated "${own[@]}" "${races[@]}" \
		"${storm[@]}" "${local_state[@]}" "${broker[@]}" "${signals[@]}" \
		"${scheduler[@]}" --exclude 'nvme-*'
	# Debian's stock kernel: no PCI_P2PDMA, no DMABUF_MOVE_NOTIFY.
	suite_vm vm-debian-stock debian-stock "${own[@]}" "${races[@]}" "${storm[@]}" \
		"${broker[@]}" "${signals[@]}" "${scheduler[@]}" --exclude 'nvme-*'
	# Debian 12's 6.12 kernel: the interfaces that moved after 6.1.
	suite_vm vm-debian-6.12 debian-6.12 "${own[@]}" "${races[@]}" \
		"${many_clients[@]}" --exclude 'nvme-*'
	# GPU A removed by QEMU (device_del), as a hot-unplug would.
	suite_vm vm-hotplug hotplug --include 'surprise-removal'
	echo "$TOTAL_PASSED passed, $TOTAL_FAILED failed, $TOTAL_SKIPPED skipped"
	[ "$TOTAL_FAILED" = 0 ]
}
