#!/bin/bash
# SPDX-License-Identifier: MIT
# ./rig refuses what it would ignore or cannot do, before it builds or
# boots anything: unknown commands and options, options of another
# command (--topology for ./rig test: each suite has its own), a --suite
# that names no suite, bad settings in the environment; and, against the
# igt binaries built in BUILD, a --subtest that matches no subtest, and a
# suite whose exclusions leave it none.
#   tests/host/check-rig-options.sh BUILD
set -u
build=${1:?usage: $0 BUILD (a CMake build with the igt binaries)}
build=$(readlink -f "$build")
cd "$(dirname "$(readlink -f "$0")")/../.." || exit
export VRAMSHARE_CACHE
VRAMSHARE_CACHE=$(mktemp -d)
trap 'rm -rf "$VRAMSHARE_CACHE"' EXIT
status=0

# refused WANT-TEXT ARGS...: ./rig ARGS fails at once, saying WANT-TEXT.
refused() {
	local want=$1 out rc=0
	shift
	out=$(timeout 60 ./rig "$@" 2>&1 </dev/null) || rc=$?
	if [ "$rc" = 0 ] || [[ "$out" != *"$want"* ]]; then
		echo "FAIL: ./rig $* exited $rc, printed: $out (wanted: $want)"
		status=1
	fi
}

refused "does not take --topology" test --topology default
refused "does not take --jobs" run --jobs 2 -- true
refused "does not take --short" test --short
refused "does not take --out" run --out x -- true
refused "does not take --suite" run --suite host -- true
refused "does not take --subtest" bench --subtest x
refused "does not take --topology" packages --topology default
refused "does not take --all" setup --all
refused "does not take --timeout" clean --timeout 3
refused "matches no suite (have: host vm-default" test --suite nosuch
refused "unknown option '--bogus'" shell --bogus
refused "--topology needs a value" run --topology
refused "unknown command 'nosuch'" nosuch
refused "--timeout needs a value" run --timeout= -- true
refused "--jobs needs a value" test --jobs=
refused "--short takes no value" bench --short=yes
refused "--suite: one glob" test --suite host --suite vm-default
refused "runs no command of yours" test -- true
refused "--jobs: 'abc' is not a positive number" test --jobs abc
refused "--timeout: '1m' is not a positive number" run --timeout 1m -- true
refused "unexpected argument 'true' (the command to run goes after --)" run true
refused "unexpected argument 'vm-default' (see ./rig --help)" test vm-default
refused "--subtest picks igt subtests, which only the in-VM suites run" test --suite host --subtest x
# Settings from the environment are checked before anything runs: a bad
# VRAMSHARE_KEEP_RUNS once left ./rig run booting with its run files in /.
# Each case would stop at a later check if this one were lost.
VRAMSHARE_KEEP_RUNS=x refused "VRAMSHARE_KEEP_RUNS: 'x' is not a positive number" \
	run --topology nosuch -- true
VRAMSHARE_KEEP_RUNS=0 refused "VRAMSHARE_KEEP_RUNS: '0' is not a positive number" \
	test --suite nosuch
VRAMSHARE_RIG_JOBS=two refused "VRAMSHARE_RIG_JOBS: 'two' is not a positive number" \
	test --suite nosuch
# ... and only where they are used: --jobs overrides VRAMSHARE_RIG_JOBS.
VRAMSHARE_RIG_JOBS=two refused "matches no suite" test --jobs 2 --suite nosuch
VRAMSHARE_KEEP_RUNS=x refused "does not take --all" packages --all
VRAMSHARE_KEEP_RUNS=x ./rig --help >/dev/null ||
	{ echo "FAIL: ./rig --help refused a VRAMSHARE_KEEP_RUNS it does not use"; status=1; }

# --subtest against the igt binaries built in BUILD (igt-harness --list):
# refused when no subtest matches, by the harness's own glob matching;
# a suite whose exclusions leave none of them boots no guest.
(
	# shellcheck source=tests/vm/lib/common.sh
	. tests/vm/lib/common.sh
	# shellcheck source=tests/vm/lib/suites.sh
	. tests/vm/lib/suites.sh
	RIG_BUILD=$build
	OPT_SUBTESTS=(export-basic 'reset-*' '*unreachable*')
	subtests_check || exit 1
	for glob in nosuch '@(export-basic|zzz)'; do
		OPT_SUBTESTS=(export-basic "$glob")
		out=$( (subtests_check) 2>&1) && exit 1
		[[ "$out" == *"--subtest '$glob' matches no igt subtest"* ]] || exit 1
	done
	# suite_vm, up to the start of its guest
	OPT_SUITE='vm-*' started=''
	topology_load() { TOPO_KERNEL=debian; }
	suite_start() { started+="$1 "; }
	OPT_SUBTESTS=('*unreachable*')
	suite_vm vm-x default --exclude '*unreachable*' --exclude x 2>/dev/null
	OPT_SUBTESTS=(export-basic)
	suite_vm vm-y default --packages --exclude '*unreachable*' --include p2p-copy
	[ "$started" = "vm-y " ] && [ "$SUITES_SELECTED" = 1 ]
) || { echo "FAIL: --subtest is not checked against the igt subtests and the suites' exclusions"; status=1; }

help=$(./rig --help)
for word in "./rig clean" "./rig packages" "--suite GLOB" "--subtest GLOB" VRAMSHARE_QEMU_DEVICES; do
	[[ "$help" == *"$word"* ]] || { echo "FAIL: ./rig --help does not mention $word"; status=1; }
done
[ "$status" = 0 ] && echo "./rig refuses every option it would ignore"
exit "$status"
