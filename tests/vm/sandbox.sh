#!/usr/bin/env bash
# tests/vm/sandbox.sh — systemd's sandboxing directives under keel init as the host's PID 1 in
# qemu: a oneshot unit with ProtectSystem=strict, ProtectHome=, PrivateTmp=, PrivateDevices=,
# ProtectKernelTunables=, NoNewPrivileges=, CapabilityBoundingSet=, SystemCallFilter=~@mount,
# RuntimeDirectory= and StateDirectory= reports what it sees; the probe checks that nothing of it
# reached the host and that the unit's directories are gone (or kept) once it is down. Then the
# device rules PrivateDevices= and ProtectClock= imply, enforced by each unit's cgroup.
# (tests/applets/sandbox.test shows each directive on its own, with systemd.exec(5)'s words.)
VM_SUITE=sandbox
if [ ! -f "$(dirname "$0")/lib.sh" ]; then
	echo "FAIL: sandbox: tests/vm/lib.sh (the VM harness) is missing"
	exit 0
fi
. "$(dirname "$0")/lib.sh"

fx=$(vm_fixture fx-sandbox sandbox) || { fail "fixtures" "no /bin/busybox (busybox-static)"; exit 0; }
state=$KEEL_SRC/tests/vm/fixtures/sandbox-state
t() { grep -a "^TEST $1" "$VM_LOG" | head -1 | tr -d '\r' | sed "s/^TEST $1//"; }

vm_image sandbox --extra-usr "$fx" --extra-state "$state" > /dev/null || { fail "image sandbox"; exit 0; }
disk=$(vm_copy sandbox)
vm_start "$disk"
if ! vm_wait '^TEST done' 180; then
	fail "the probe unit ran to the end"
	vm_log_tail 40
	exit 0
fi
check() { # NAME GOT WANT
	[ "$2" = "$3" ] && pass "$1" || fail "$1" "got '$2', want '$3'"
}
check "the sandboxed oneshot unit succeeded" "$(t 'start: ')" "rc=0"
[ "$(t 'start: ')" = rc=0 ] || grep -a 'sb.service' "$VM_LOG" | tail -5
check "ProtectSystem=strict: /etc read-only" "$(t 'sb etc: ')" "Read-only file system"
check "PrivateTmp=: ExecStartPre='s /tmp and /var/tmp are ExecStart='s" "$(t 'sb tmp: ')" "pre pre"
check "ProtectHome=yes: /root empty, mode 000" "$(t 'sb root: ')" "0 0"
check "PrivateDevices=: API devices only (this host mounts no /dev/pts, /dev/shm)" "$(t 'sb dev: ')" "fd full null ptmx random stderr stdin stdout tty urandom zero"
check "CapabilityBoundingSet=, NoNewPrivileges=" "$(t 'sb caps: ')" "0000000000000400 nnp 1"
check "RuntimeDirectory=, StateDirectory=" "$(t 'sb runtime: ')" "/run/sbx 750 root state /var/lib/sbx"
check "ProtectKernelTunables=: /proc/sys read-only" "$(t 'sb sysctl: ')" "Read-only file system"
check "SystemCallFilter=~@mount: mount(2) ends the process" "$(t 'sb mount: ')" "rc=159"
check "nothing reached the host (/etc, /mnt)" "$(t 'host etc: ') $(t 'host mnt: ')" "0 0"
# systemd.exec(5): PrivateDevices= "…and set DevicePolicy=closed"; ProtectClock= "…and
# DeviceAllow=char-rtc r is implied" — which systemd adds only to a device program that is made
# anyway ("Only add these if needed, as they imply that everything else is blocked", unit.c):
# ProtectClock= alone restricts no device. Each unit mounts a devtmpfs of its own (every node of
# the host in reach); only the device program of its cgroup can refuse.
check "devices, for comparison: a unit with neither opens all" "$(t 'sbdev-plain: ')" \
	"rc=0 vda open rtc-r open rtc-rw open null-rw open"
check "PrivateDevices=: DevicePolicy=closed (the disk and the rtc refused, /dev/null open)" "$(t 'sbdev-pd: ')" \
	"rc=0 vda denied rtc-r denied rtc-rw denied null-rw open"
check "ProtectClock= alone: no device program, as in systemd" "$(t 'sbdev-pc: ')" \
	"rc=0 vda open rtc-r open rtc-rw open null-rw open"
check "PrivateDevices= and ProtectClock=: closed, and char-rtc read-only" "$(t 'sbdev-pdpc: ')" \
	"rc=0 vda denied rtc-r open rtc-rw denied null-rw open"
check "when the unit is down: RuntimeDirectory= and PrivateTmp= gone, StateDirectory= kept" \
	"$(t 'host after: ')" "run 0 state 1 private 0"
vm_wait_exit 60 || fail "qemu exits after keel init poweroff"
vm_stop
