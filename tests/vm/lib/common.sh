# shellcheck shell=bash
# Shared helpers of the rig scripts.

RIG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOP_DIR=$(cd "$RIG_DIR/../.." && pwd)
RIG_CACHE=${VRAMSHARE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vramshare}

info() { printf 'rig: %s\n' "$*" >&2; }
die() {
	printf 'rig: error: %s\n' "$*" >&2
	exit 1
}
