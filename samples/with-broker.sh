#!/bin/bash
# SPDX-License-Identifier: MIT
# Runs a command with vramshared sharing GPU A (the first device bound to
# vfio-pci-dmabuf), as the samples expect; stops the broker after it.
# Exits with the command's status. For the rig and for trying a sample on
# a machine where no broker runs yet (as root):
#   samples/with-broker.sh BUILD-DIR CMD [ARG...]
set -eu
build=$1
shift
export VRAMSHARE_SOCKET=${VRAMSHARE_SOCKET:-/run/vramshare-sample.sock}
devices=(/sys/bus/pci/drivers/vfio-pci-dmabuf/0000:*)
[ -e "${devices[0]}" ] || {
	echo "with-broker: no device is bound to vfio-pci-dmabuf" >&2
	exit 1
}
conf=$(mktemp)
cat >"$conf" <<CONF
[broker]
socket = $VRAMSHARE_SOCKET
devices = listed
[device gpu0]
address = $(basename "${devices[0]}")
bar = ${VRAMSHARE_VRAM_BAR:-0}
CONF

"$build/userspace/vramshared/vramshared" --config "$conf" &
broker=$!
trap 'kill $broker 2>/dev/null || true; rm -f "$conf"' EXIT
listening=
for _ in $(seq 100); do
	"$build/userspace/cli/vramshare" info >/dev/null 2>&1 && listening=1 && break
	sleep 0.1
done
[ -n "$listening" ] || {
	echo "with-broker: vramshared does not listen on $VRAMSHARE_SOCKET" >&2
	exit 1
}
status=0
"$@" || status=$?
kill -TERM "$broker" 2>/dev/null || true
if ! wait "$broker" && [ "$status" = 0 ]; then
	echo "with-broker: vramshared did not stop cleanly" >&2
	status=1
fi
exit "$status"
