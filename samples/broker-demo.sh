#!/bin/bash
# The broker's part of ./rig demo, run in the guest: vramshared takes GPU A,
# one process (the CLI) allocates VRAM, another (broker-copy) opens it by
# its share token, imports it on GPU B and copies through it.
#   broker-demo.sh BUILD-DIR
set -eu
build=$1
export VRAMSHARE_SOCKET=/run/vramshare-demo.sock
devices=(/sys/bus/pci/drivers/vfio-pci-dmabuf/0000:*)
address=$(basename "${devices[0]}")
conf=$(mktemp)
cat >"$conf" <<CONF
[broker]
socket = $VRAMSHARE_SOCKET
devices = listed
[device gpu0]
address = $address
bar = ${VRAMSHARE_VRAM_BAR:-0}
CONF

"$build/userspace/vramshared/vramshared" --config "$conf" &
broker=$!
trap 'kill $broker 2>/dev/null || true; rm -f "$conf"' EXIT
for _ in $(seq 100); do
	"$build/userspace/cli/vramshare" info >/dev/null 2>&1 && break
	sleep 0.1
done
echo "broker-demo: vramshared owns GPU A ($address):"
"$build/userspace/cli/vramshare" ls
echo "broker-demo: the CLI allocates 16 KiB and runs broker-copy with its token:"
"$build/userspace/cli/vramshare" alloc 16K -- "$build/samples/broker-copy"
echo "broker-demo: after both processes ended:"
"$build/userspace/cli/vramshare" ls
kill -TERM "$broker"
wait "$broker"
echo "broker-demo: PASS"
