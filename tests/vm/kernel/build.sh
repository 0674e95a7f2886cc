#!/bin/bash
# SPDX-License-Identifier: MIT
# Builds the rig's guest kernel: build.sh SRC OUT FRAGMENT.
# Part of the cache key (tests/vm/lib/kernel.sh): any change here rebuilds the kernel.
set -eu
src=$1 out=$2 fragment=$3
jobs=$(($(nproc) + 1))

# Kconfig silently drops options whose dependencies are not met: fail loudly instead.
check_config() {
	local want missing=0
	while read -r want; do
		grep -qx "$want" "$out/.config" || {
			echo "kernel config: $want did not survive olddefconfig"
			missing=1
		}
	done < <(grep -E '^CONFIG_[A-Z0-9_]+=' "$fragment")
	return $missing
}

make -C "$src" O="$out" x86_64_defconfig kvm_guest.config
"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$fragment"
make -C "$src" O="$out" olddefconfig
check_config
make -C "$src" O="$out" -j"$jobs" bzImage modules
