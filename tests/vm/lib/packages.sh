# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# The Debian packages (debian/): built with dpkg-buildpackage from a copy
# of the tree's files, checked with lintian, cached by the files' content.
# The packages' suite (tests/vm/packages-test.sh) installs them in a guest.

# What building and checking them needs (debian/control's Build-Depends,
# and lintian): ./rig packages installs only these.
PACKAGES_BUILD_DEPS="build-essential debhelper dh-dkms dkms lintian cmake pkg-config
libdrm-dev libinih-dev libjson-c-dev libsystemd-dev systemd libcmocka-dev"

# packages_sources: the tree's files, NUL-separated: those git tracks or
# would track (what a developer changed included), or, outside a git
# checkout, every file but build products.
packages_sources() {
	if git -C "$TOP_DIR" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$TOP_DIR" ls-files -z --cached --others --exclude-standard |
			while IFS= read -r -d '' f; do
				[ -f "$TOP_DIR/$f" ] && printf '%s\0' "$f"
			done
	else
		(cd "$TOP_DIR" && find . -path ./build -prune -o -path ./rig-build -prune \
			-o -path ./bench-results -prune -o -type f -printf '%P\0')
	fi
}

# packages_dir: where the packages of the tree as it is are cached.
packages_dir() {
	echo "$RIG_CACHE/packages-$( (cd "$TOP_DIR" && packages_sources | sort -z |
		xargs -0 sha256sum; declare -f packages_build) | sha256sum | cut -c1-16)"
}

# packages_build: prints the directory holding the .deb files, building
# them if the tree changed since the last build.
packages_build() {
	local version dir src log
	version=$(head -n 1 "$TOP_DIR/VERSION")
	dir=$(packages_dir)
	log=$dir.log
	[ -f "$dir/.rig-complete" ] || (
		flock 9
		[ -f "$dir/.rig-complete" ] && exit 0
		info "building the Debian packages $version (dpkg-buildpackage, lintian)"
		rm -rf "$dir"
		src=$dir/vramshare-$version
		mkdir -p "$src"
		(cd "$TOP_DIR" && packages_sources | xargs -0 cp --parents -t "$src")
		# source and binary packages, so that lintian checks both
		(cd "$src" && dpkg-buildpackage -us -uc) >"$log" 2>&1 </dev/null ||
			die "the Debian packages did not build, see $log"
		# Every tag fails, down to pedantic ones; a tag that stays is
		# explained in debian/*.lintian-overrides.
		lintian --info --pedantic --fail-on error,warning,info,pedantic \
			"$dir"/vramshare_"$version"_*.changes >"$dir.lintian" 2>&1 ||
			die "lintian: $(grep -E '^[EWIP]:' "$dir.lintian" | head -n 3) (see $dir.lintian)"
		rm -rf "$src"
		# Kept under the key of the files as they were copied, or not at
		# all: a file edited meanwhile would leave packages of the new
		# text under the old text's key.
		if [ "$(packages_dir)" != "$dir" ]; then
			info "the tree changed while its packages were built: these are of the tree as it was copied, and are not kept"
			exit 0
		fi
		touch "$dir/.rig-complete"
	) 9>"$dir.lock" || exit 1
	echo "$dir"
}
