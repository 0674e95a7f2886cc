#!/bin/bash
# SPDX-License-Identifier: MIT
# Every file of the project that can carry a comment names its license
# with an SPDX tag near its top, and the tag is the one COPYING gives its
# part of the tree. Run from the top of a git checkout:
#   tests/host/check-licenses.sh
set -eu
cd "$(dirname "$(readlink -f "$0")")/../.."
status=0
# expected_license PATH: the SPDX expression COPYING gives PATH.
expected_license() {
	case "$1" in
	kernel/include/uapi/*) echo "GPL-2.0 WITH Linux-syscall-note" ;;
	kernel/* | tests/kmod/* | dkms.conf) echo "GPL-2.0-only" ;;
	*) echo "MIT" ;;
	esac
}
while IFS= read -r -d '' file; do
	case "$file" in
	# data and documents: no comment syntax, or covered by COPYING as a whole
	*.md | *.json | *.svg | *.config | *.in | *.map | .gitignore | VERSION | COPYING | CHANGELOG) continue ;;
	*/man/* | docs/performance/*) continue ;;
	debian/changelog | debian/copyright | debian/source/*) continue ;;
	esac
	tag=$(head -n 3 "$file" | sed -n 's/.*SPDX-License-Identifier: \(.*[^ */]\)[ */]*$/\1/p' | head -n 1)
	want=$(expected_license "$file")
	if [ -z "$tag" ]; then
		echo "$file: no SPDX-License-Identifier in its first 3 lines (want $want)"
		status=1
	elif [ "$tag" != "$want" ]; then
		echo "$file: SPDX $tag, COPYING says $want"
		status=1
	fi
done < <(git ls-files -z)
[ "$status" = 0 ] && echo "every file's SPDX tag matches COPYING"
exit "$status"
