#!/bin/bash
# SPDX-License-Identifier: MIT
# Host test: the samples answer wrong arguments with their usage and exit
# status 2, before they touch the broker, Vulkan or a device. Each case
# was once taken silently (an unknown --break mode, "16K" read as 16).
#   check-usage.sh SAMPLES-BUILD-DIR
set -u
dir=$1
failed=0
refuse() {
	local program=$1 out status
	shift
	out=$("$dir/$program" "$@" 2>&1)
	status=$?
	if [ "$status" != 2 ] || [[ "$out" != *usage:* ]]; then
		echo "FAIL: $program $* exited $status: $out"
		failed=1
	fi
}
refuse drm-copy --break revok
refuse drm-copy --frames 3
refuse drm-copy node1 node2
refuse vk-import --size 16K
refuse vk-import --break gone
refuse compute-pipeline --frame-size 16K
refuse compute-pipeline --frames 8 --reset-at 8
refuse compute-pipeline --reset-at 0 --break gone
refuse compute-pipeline --vulkan maybe
exit "$failed"
