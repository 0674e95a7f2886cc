#!/bin/bash
# SPDX-License-Identifier: MIT
# The broker's part of ./rig demo, run in the guest: vramshared takes GPU A,
# one process (the CLI) allocates VRAM, another (drm-copy) opens it by
# its share token, imports it on GPU B and copies through it; then the
# compute pipeline runs through a reset of GPU A.
#   broker-demo.sh BUILD-DIR
set -eu
build=$1
cli=$build/userspace/cli/vramshare
"$(dirname "$0")/with-broker.sh" "$build" /bin/bash -ec "
	echo 'broker-demo: vramshared owns GPU A:'
	'$cli' ls
	echo 'broker-demo: the CLI allocates 16 KiB and runs drm-copy with its token:'
	'$cli' alloc 16K -- '$build/samples/drm-copy'
	echo 'broker-demo: after both processes ended:'
	'$cli' ls
	echo 'broker-demo: a producer and a consumer process share frames in VRAM; GPU A is reset halfway:'
	'$build/samples/compute-pipeline' --frames 12 --reset-at 6
"
echo "broker-demo: PASS"
