# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Shared helpers of the rig scripts.

RIG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOP_DIR=$(cd "$RIG_DIR/../.." && pwd)
# The rig's own CMake build, apart from a developer's build/.
RIG_BUILD=$TOP_DIR/rig-build
if [ -n "${VRAMSHARE_CACHE:-}" ]; then
	RIG_CACHE=$VRAMSHARE_CACHE
elif [ -n "${XDG_CACHE_HOME:-}" ] || [ -n "${HOME:-}" ]; then
	RIG_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/vramshare
else
	RIG_CACHE=/var/cache/vramshare
fi

info() { printf 'rig: %s\n' "$*" >&2; }
die() {
	printf 'rig: error: %s\n' "$*" >&2
	exit 1
}
# positive_number NAME VALUE: VALUE is a count of 1 or more, or NAME is refused.
positive_number() {
	[[ "$2" =~ ^[1-9][0-9]*$ ]] || die "$1: '$2' is not a positive number"
}
