# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Booting the rig: a q35 machine under TCG whose root filesystem is the
# host's (read-only 9p, overlaid with tmpfs in the guest), with the
# topology's devices, running one command and powering off.

# topology_load NAME: sets TOPO_DEVICES (array), TOPO_CMDLINE, TOPO_BIND,
# TOPO_CPU, TOPO_SMP (vCPUs), TOPO_ENV (array of VAR=VALUE, exported to
# the guest's command; a value may hold spaces), TOPO_KERNEL (rig, debian
# or debian-SERIES).
topology_load() {
	local name=$1 file key value
	file="$RIG_DIR/topologies/$name.topo"
	[ -f "$file" ] || die "unknown topology '$name' (have: $(topology_names))"
	TOPO_DEVICES=()
	TOPO_CMDLINE=""
	TOPO_BIND=""
	TOPO_CPU=max
	TOPO_SMP=1
	TOPO_ENV=()
	TOPO_KERNEL=rig
	while IFS= read -r line || [ -n "$line" ]; do
		case "$line" in '' | '#'*) continue ;; esac
		key=${line%%:*}
		value=${line#*:}
		value=${value# }
		case "$key" in
		description) ;;
		device) TOPO_DEVICES+=(-device "$value") ;;
		cmdline) TOPO_CMDLINE="$TOPO_CMDLINE $value" ;;
		bind) TOPO_BIND="$TOPO_BIND ${value% *}=${value#* }" ;;
		cpu) TOPO_CPU=$value ;;
		smp) TOPO_SMP=$value ;;
		env) TOPO_ENV+=("$value") ;;
		kernel) TOPO_KERNEL=$value ;;
		*) die "$file: unknown key '$key'" ;;
		esac
	done <"$file"
	# --qemu-devices / VRAMSHARE_QEMU_DEVICES replaces the device list.
	if [ -n "${RIG_QEMU_DEVICES:-}" ]; then
		read -r -a TOPO_DEVICES <<<"$RIG_QEMU_DEVICES"
	fi
}

topology_names() {
	local f names=""
	for f in "$RIG_DIR"/topologies/*.topo; do
		f=${f##*/}
		names="$names ${f%.topo}"
	done
	echo "${names# }"
}

# Kernel log lines that fail a run: the patterns of kernel-reports.txt,
# which the igt harness is built with too, joined into one ERE, and its
# exceptions ("!" lines) in another (never empty: an empty ERE matches
# every line).
RIG_SPLAT_RE=$(grep -Ev '^([[:space:]]*(#|$)|!)' "$RIG_DIR/kernel-reports.txt" | paste -sd '|')
RIG_SPLAT_EXCEPT_RE=$(sed -n 's/^!//p' "$RIG_DIR/kernel-reports.txt" | paste -sd '|')
RIG_SPLAT_EXCEPT_RE=${RIG_SPLAT_EXCEPT_RE:-'^$'}

# Allowed taints: U (vfio noiommu, 64), O (out-of-tree modules, 4096) and
# E (unsigned modules on Debian's signing kernel, 8192).
RIG_TAINT_ALLOWED=$((64 | 4096 | 8192))

# vm_qemu TIMEOUT INTERACTIVE LOG QEMU-COMMAND...: QEMU under a time
# limit; only an interactive guest gets the terminal, others log to LOG.
# vm_monitor_relay RUNDIR QEMU-PID: lets the guest drive QEMU's monitor,
# for what only the machine can do (device_del: a surprise removal). A
# command the guest renames into /rig/monitor.request goes to a second
# monitor on the FIFOs RUNDIR/relay.{in,out}; the file then disappears,
# and the monitor's answers collect in RUNDIR/monitor.log.
vm_monitor_relay() {
	local run=$1 pid=$2 cmd
	exec 3<>"$run/relay.in"
	cat "$run/relay.out" >"$run/monitor.log" &
	while kill -0 "$pid" 2>/dev/null; do
		if [ -f "$run/monitor.request" ]; then
			cmd=$(cat "$run/monitor.request")
			rm -f "$run/monitor.request"
			printf '%s\n' "$cmd" >&3
		fi
		sleep 0.2
	done
	exec 3>&-
	wait
}

vm_qemu() {
	local timeout=$1 interactive=$2 log=$3
	shift 3
	if [ "$interactive" = 1 ]; then
		timeout --foreground --kill-after=10 "$timeout" "$@"
	else
		timeout --kill-after=10 "$timeout" "$@" >"$log" 2>&1 </dev/null
	fi
}

# vm_run RUNDIR TIMEOUT INTERACTIVE: boots the rig for the prepared RUNDIR
# on RIG_KERNEL_IMAGE (and RIG_INITRD when set).
# Returns the command's status; 124 on timeout, 125 if setup failed,
# 126 if the guest did not boot or died.
vm_run() {
	local run=$1 timeout=$2 interactive=$3 status qemu_pid tail_pid relay_pid
	local -a serial qemu initrd=()
	local append="console=ttyS0 panic=-1 root=/dev/root rootfstype=9p"
	append="$append rootflags=trans=virtio,version=9p2000.L,cache=loose,msize=262144 ro"
	append="$append init=$RIG_DIR/guest-init rig_init=$RIG_DIR/guest-init"
	# One vCPU (see the comment on -smp below), fully preemptible, so that
	# racing threads still interleave anywhere in the kernel.
	append="$append preempt=full rig_run=$run$TOPO_CMDLINE"
	[ -n "$RIG_INITRD" ] && initrd=(-initrd "$RIG_INITRD")
	if [ "$interactive" = 1 ]; then
		# The guest's console is this terminal; keep a copy of it.
		serial=(-chardev "stdio,id=con,mux=on,signal=off,logfile=$run/console.log"
			-serial chardev:con -mon chardev=con)
	else
		serial=(-serial "file:$run/console.log")
	fi

	# -smp 1 by default: QEMU 7.2's multi-threaded TCG switches a vCPU to a
	# new memory map (every BAR enable or disable: vfio opening GPU A, a
	# reset, a decode toggle) without waiting until that vCPU is idle, so
	# another vCPU's MMIO access in flight (the local APIC's, edu's) can be
	# dispatched through a stale TLB entry to the wrong region: QEMU aborts,
	# segfaults or loses the access. QEMU 8.1 fixed it; Debian 12 has 7.2.
	# la57=off: with 5-level paging, 6.1's KASAN can report a wild access
	# when an interrupt lands while identify_cpu() briefly clears the CPU's
	# feature bits during boot (a core kernel race, not ours).
	qemu=(qemu-system-x86_64 -M q35 -cpu "$TOPO_CPU,la57=off" -smp "$TOPO_SMP" -m 2G \
		-accel tcg,thread=multi -nodefaults -no-reboot -display none \
		"${serial[@]}" -monitor "unix:$run/monitor.sock,server,nowait" \
		-chardev "pipe,id=relay,path=$run/relay" -mon chardev=relay \
		-kernel "$RIG_KERNEL_IMAGE" "${initrd[@]}" -append "$append" \
		-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap \
		-device virtio-9p-pci,fsdev=root,mount_tag=/dev/root \
		-fsdev "local,id=share,path=$run,security_model=none" \
		-device virtio-9p-pci,fsdev=share,mount_tag=rigshare \
		"${TOPO_DEVICES[@]}")

	mkfifo "$run/relay.in" "$run/relay.out"
	if [ "$interactive" = 1 ]; then
		status=0
		vm_qemu "$timeout" 1 "$run/qemu.log" "${qemu[@]}" || status=$?
	else
		# Show the command's output live while the guest writes it.
		touch "$run/output"
		vm_qemu "$timeout" 0 "$run/qemu.log" "${qemu[@]}" &
		qemu_pid=$!
		vm_monitor_relay "$run" "$qemu_pid" &
		relay_pid=$!
		tail -n +1 -f --pid="$qemu_pid" "$run/output" &
		tail_pid=$!
		status=0
		wait "$qemu_pid" || status=$?
		wait "$tail_pid" "$relay_pid" 2>/dev/null || true
	fi

	if [ "$status" = 124 ] || [ "$status" = 137 ]; then
		echo "rig: the guest did not finish within ${timeout}s and was killed; kernel log: $run/console.log" >&2
		return 124
	fi
	if [ ! -f "$run/status" ]; then
		if grep -q "rig-guest: ready" "$run/console.log" 2>/dev/null; then
			echo "rig: the guest died before the command finished; kernel log: $run/console.log" >&2
		else
			echo "rig: the guest did not boot (qemu exit $status): see $run/console.log and $run/qemu.log" >&2
		fi
		return 126
	fi
	status=$(cat "$run/status")
	if [ "$status" = 125 ]; then
		echo "rig: guest setup failed: $(tail -n 1 "$run/setup.log")" >&2
		return 125
	fi
	return "$status"
}

# vm_check_log RUNDIR: fails (1) on kernel reports or unexpected taints.
vm_check_log() {
	local run=$1 taint bad=0
	# Judged by the file, not the pipeline's status: under pipefail a
	# missing dmesg (cat) or a log without reports (grep) is not an error.
	cat "$run/dmesg" "$run/console.log" 2>/dev/null |
		grep -E "$RIG_SPLAT_RE" | grep -Ev "$RIG_SPLAT_EXCEPT_RE" >"$run/splats" || true
	if [ -s "$run/splats" ]; then
		echo "rig: kernel reports in the guest log ($run/dmesg):" >&2
		head -n 5 "$run/splats" >&2
		bad=1
	fi
	taint=$(cat "$run/tainted" 2>/dev/null || echo 0)
	if [ $((taint & ~RIG_TAINT_ALLOWED)) != 0 ]; then
		echo "rig: guest kernel tainted ($taint) beyond the expected U/O/E flags" >&2
		bad=1
	fi
	return $bad
}
