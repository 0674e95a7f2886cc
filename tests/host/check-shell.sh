#!/bin/bash
# SPDX-License-Identifier: MIT
# The project's shell scripts through shellcheck: the rig (with the
# libraries it sources, followed from it), the guest's init and the
# scripts that run in the guest, CI, the benchmarks', samples' and tests'.
#   tests/host/check-shell.sh
set -eu
cd "$(dirname "$(readlink -f "$0")")/../.."
scripts=(rig .ci/run tests/vm/guest-init tests/vm/initramfs-init
	tests/vm/kernel/build.sh tests/igt/harness/tests/fake-igt)
while IFS= read -r -d '' file; do
	scripts+=("$file")
done < <(git ls-files -z --cached --others --exclude-standard -- '*.sh' ':!tests/vm/lib/*')
shellcheck -x "${scripts[@]}"
echo "shellcheck: ${#scripts[@]} scripts clean"
