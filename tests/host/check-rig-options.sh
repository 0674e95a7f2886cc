#!/bin/bash
# SPDX-License-Identifier: MIT
# ./rig refuses what it would ignore or cannot do, before it builds or
# boots anything: unknown commands and options, options of another
# command (--topology for ./rig test: each suite has its own), a --suite
# that names no suite, bad settings in the environment; and, against the
# igt binaries built in BUILD, a --subtest that matches no subtest.
#   tests/host/check-rig-options.sh BUILD
set -u
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
refused "unexpected argument 'true' (a command to run goes after --" run true
# Settings from the environment are checked before anything runs: a bad
# VRAMSHARE_KEEP_RUNS once left ./rig run booting with its run files in /.
VRAMSHARE_KEEP_RUNS=x refused "VRAMSHARE_KEEP_RUNS: 'x' is not a positive number" run -- true
VRAMSHARE_KEEP_RUNS=0 refused "VRAMSHARE_KEEP_RUNS: '0' is not a positive number" test
VRAMSHARE_RIG_JOBS=two refused "VRAMSHARE_RIG_JOBS: 'two' is not a positive number" test

# --subtest against the subtests the igt binaries list (the rig checks it
# once it has built them, before any kernel is built or guest booted).
(
	# shellcheck source=tests/vm/lib/common.sh
	. tests/vm/lib/common.sh
	# shellcheck source=tests/vm/lib/suites.sh
	. tests/vm/lib/suites.sh
	RIG_BUILD=${1:?usage: $0 BUILD}
	ls "$RIG_BUILD"/tests/igt/vramshare_export >/dev/null || exit 1
	OPT_SUBTESTS=(export-basic 'reset-*' '*unreachable*')
	subtests_check || exit 1
	OPT_SUBTESTS=(export-basic nosuch)
	out=$( (subtests_check) 2>&1) && exit 1
	[[ "$out" == *"--subtest 'nosuch' matches no igt subtest"* ]] || exit 1
) || { echo "FAIL: subtests_check does not match --subtest against the igt subtests"; status=1; }

help=$(./rig --help)
for word in "./rig clean" "./rig packages" "--suite GLOB" "--subtest GLOB" VRAMSHARE_QEMU_DEVICES; do
	[[ "$help" == *"$word"* ]] || { echo "FAIL: ./rig --help does not mention $word"; status=1; }
done
[ "$status" = 0 ] && echo "./rig refuses every option it would ignore"
exit "$status"
