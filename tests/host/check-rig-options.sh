#!/bin/bash
# SPDX-License-Identifier: MIT
# ./rig refuses what it would ignore or cannot do, before it builds or
# boots anything: unknown commands and options, options of another
# command (--topology for ./rig test: each suite has its own), a --suite
# that names no suite.
#   tests/host/check-rig-options.sh
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

help=$(./rig --help)
for word in "./rig clean" "./rig packages" "--suite GLOB" "--subtest GLOB" VRAMSHARE_QEMU_DEVICES; do
	[[ "$help" == *"$word"* ]] || { echo "FAIL: ./rig --help does not mention $word"; status=1; }
done
[ "$status" = 0 ] && echo "./rig refuses every option it would ignore"
exit "$status"
