#!/bin/bash
# SPDX-License-Identifier: MIT
# Runs every benchmark in order on a machine with GPU A bound to
# vfio-pci-dmabuf, GPU B's drm-import and the test importer loaded (the
# rig; ./rig bench runs it), and writes their JSON into OUT-DIR:
#   bench/run-benchmarks.sh [--short] BUILD-DIR OUT-DIR
# First the benchmarks that open GPU A themselves, then, with vramshared
# sharing it, those that go through the broker and compare with the first.
set -eu
short=()
if [ "${1:-}" = --short ]; then
	short=(--short)
	shift
fi
[ $# = 2 ] || {
	echo "usage: bench/run-benchmarks.sh [--short] BUILD-DIR OUT-DIR" >&2
	exit 2
}
build=$1
out=$2
src=$(dirname "$(readlink -f "$0")")/..
bench=$build/bench/vramshare-bench
mkdir -p "$out"

for name in bounce control revoke cpu memory jobs; do
	echo "== $name"
	"$bench" "${short[@]}" --json "$out/$name.json" "$name"
done
echo "== share, broker (through vramshared)"
# shellcheck disable=SC2016 # the inner script expands its own arguments
"$src/samples/with-broker.sh" "$build" /bin/sh -c '
	"$1" $2 --json "$3/share.json" --against "$3/bounce.json" share &&
	"$1" $2 --json "$3/broker.json" --against "$3/control.json" broker' \
	sh "$bench" "${short[*]}" "$out"
