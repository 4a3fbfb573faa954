#!/usr/bin/env bash
# tests/vm/boot.sh — stage 1 in qemu: verity refuses a flipped bit, gptprio.next slot choice with
# tries written back, and broken roots ending in the rescue console (driven over serial).
# Five boots of ~8 s each (TCG). The host init is a busybox script (fixtures/boot) that reports
# and powers off, so these tests do not depend on stage 2.
VM_SUITE=boot
. "$(dirname "$0")/lib.sh"

# Fixtures: busybox-static, the reporting init, and a 16 KiB file whose first block we corrupt.
fx=$VM_CACHE/fx-boot
rm -rf "$fx"
mkdir -p "$fx/bin" "$fx/share/keel-test"
cp /bin/busybox "$fx/bin/busybox" || { fail "fixtures" "no /bin/busybox (busybox-static)"; exit 0; }
cp -a "$KEEL_SRC/tests/vm/fixtures/boot/." "$fx/"
for i in $(seq 0 511); do printf 'keel corrupt-me block line %05d.......................\n' "$i"; done |
	head -c 16384 > "$fx/share/keel-test/corrupt"
init=keel.init=/usr/lib/keel-test/init

state_fsck() { # DISK: e2fsck -fn of partition 4
	local first size
	first=$(cgpt show -i 4 -b "$1") size=$(cgpt show -i 4 -s "$1")
	dd if="$1" of="$VM_DIR/state.img" bs=512 skip="$first" count="$size" status=none &&
		e2fsck -fn "$VM_DIR/state.img" >/dev/null 2>&1
}

# ---- boot 1: A (priority 2, tries 1) beats B (priority 1, successful); A has a flipped bit ----
vm_image boot-ab --extra-usr "$fx" --attr-a 2:1:0 --attr-b 1:0:1 --corrupt /usr/share/keel-test/corrupt >/dev/null ||
	{ fail "image boot-ab"; exit 0; }
disk=$(vm_copy boot-ab)
[ "$(cgpt show -i 2 -T "$disk")" = 1 ] && [ "$("$KEEL" slots next "$disk")" = "2 USR-A tries 1" ] &&
	pass "before boot: cgpt and keel slots next agree (USR-A, tries 1)" || fail "before boot: cgpt/keel disagree"
vm_start "$disk" "$init"
if vm_wait '^TEST done' 60 && vm_wait_exit 30; then
	grep -aq '^TEST boot: slot=USR-A ' "$VM_LOG" && pass "gptprio.next picks USR-A (priority 2, tries 1)" ||
		{ fail "gptprio.next picks USR-A"; vm_log_tail; }
	grep -aq 'tries 1 -> 0' "$VM_LOG" && pass "stage 1 reports tries 1 -> 0" || fail "stage 1 reports tries 1 -> 0"
	[ "$(cgpt show -i 2 -T "$disk")" = 0 ] && [ "$(cgpt show -i 2 -P "$disk")" = 2 ] && [ "$(cgpt show -i 2 -S "$disk")" = 0 ] &&
		pass "cgpt show: USR-A tries decremented on disk (P2 T0 S0)" || fail "cgpt show after boot: P$(cgpt show -i 2 -P "$disk") T$(cgpt show -i 2 -T "$disk")"
	sgdisk -v "$disk" | grep -q 'No problems found' && pass "sgdisk -v: GPT valid after stage 1 wrote it" || fail "sgdisk -v after boot"
	grep -aq '^TEST root: /=ext4,rw /usr=erofs,ro' "$VM_LOG" && pass "verity root read-only on /usr, STATE on /" ||
		{ fail "mounts"; vm_log_tail; }
	grep -aq '^TEST read keel: ok' "$VM_LOG" && pass "intact files of the verity root read fine" || fail "reading /usr/bin/keel"
	grep -aq '^TEST read corrupt: failed: .*Input/output error' "$VM_LOG" && pass "a flipped bit in the slot: reading that file fails with EIO" ||
		{ fail "flipped bit refused with EIO"; vm_log_tail; }
	grep -aq '^TEST initramfs gone: yes' "$VM_LOG" && pass "switch_root emptied the initramfs" || fail "initramfs contents deleted"
	grep -aq 'reboot: Power down' "$VM_LOG" && pass "host init powered off" || fail "power off"
	state_fsck "$disk" && pass "STATE is clean after the poweroff (e2fsck -fn)" || fail "STATE fsck after poweroff"
else
	fail "boot 1 reached the host init"; vm_log_tail 30
fi
vm_stop

# ---- boot 2: same disk: A now has no tries and is not successful, so B (successful) boots ----
vm_start "$disk" "$init"
if vm_wait '^TEST done' 60 && vm_wait_exit 30; then
	grep -aq '^TEST boot: slot=USR-B ' "$VM_LOG" && pass "second boot falls back to USR-B (A: tries 0, not successful)" ||
		{ fail "fallback to USR-B"; vm_log_tail; }
	grep -aq '^TEST read corrupt: ok' "$VM_LOG" && pass "USR-B (intact) reads the same file fine" || fail "USR-B file read"
	[ "$(cgpt show -i 3 -T "$disk")" = 0 ] && [ "$(cgpt show -i 3 -S "$disk")" = 1 ] && [ "$(cgpt show -i 3 -P "$disk")" = 1 ] &&
		pass "successful slot: attributes untouched (P1 T0 S1)" || fail "USR-B attributes changed"
else
	fail "boot 2 reached the host init"; vm_log_tail 30
fi
vm_stop

# ---- boot 3: manifest signed over a wrong root hash: dm-verity refuses, rescue console ------
vm_image boot-badroot --extra-usr "$fx" --wrong-root-hash >/dev/null || { fail "image boot-badroot"; exit 0; }
disk=$(vm_copy boot-badroot)
vm_start "$disk" "$init"
if vm_wait 'rescue# ' 60; then
	grep -aq 'keel init: FAILED: mounting the verity root of USR-A' "$VM_LOG" && pass "wrong root hash: one FAILED line naming the step" ||
		{ fail "wrong root hash message"; vm_log_tail; }
	! grep -aq '^TEST ' "$VM_LOG" && pass "wrong root hash: the host init never ran" || fail "host init ran on a bad root"
	vm_send slots
	if vm_wait '^2 +USR-A +1 +0 +1 +\*' 20; then pass "rescue: slots prints the slot table over serial"; else fail "rescue: slots"; vm_log_tail; fi
	vm_send "ls /etc/keel/keys"
	vm_wait '^slot-test.pem' 20 && pass "rescue: ls" || fail "rescue: ls"
	vm_send reboot
	if vm_wait_exit 30 && grep -aq 'reboot: Restarting system' "$VM_LOG"; then pass "rescue: reboot restarts the machine"; else fail "rescue: reboot"; vm_log_tail; fi
else
	fail "wrong root hash ends in the rescue console"; vm_log_tail 30
fi
vm_stop

# ---- boot 4: bad signature; the idle timeout reboots ------------------------------------------
vm_image boot-badsig --extra-usr "$fx" --bad-signature --slot-b none >/dev/null || { fail "image boot-badsig"; exit 0; }
disk=$(vm_copy boot-badsig)
vm_start "$disk" "$init" keel.rescue_timeout=3
if vm_wait 'rescue# ' 60; then
	grep -aq 'FAILED: checking the manifest of USR-A.*signature does not verify' "$VM_LOG" &&
		pass "bad manifest signature refused before dm-verity is set up" || { fail "bad signature message"; vm_log_tail; }
	if vm_wait_exit 30 && grep -aq 'idle for 3 s' "$VM_LOG"; then pass "rescue: idle timeout reboots"; else fail "rescue: idle timeout"; vm_log_tail; fi
else
	fail "bad signature ends in the rescue console"; vm_log_tail 30
fi
vm_stop

# ---- boot 5: missing slot (keel.slot=USR-B on a disk without USR-B) ----------------------------
disk=$(vm_copy boot-badsig)
vm_start "$disk" "$init" keel.slot=USR-B
if vm_wait 'rescue# ' 60; then
	grep -aq 'FAILED: choosing the slot: keel.slot=USR-B: no such partition' "$VM_LOG" && pass "missing slot: rescue console with the reason" ||
		{ fail "missing slot message"; vm_log_tail; }
	vm_send slots
	vm_wait '^2 +USR-A ' 20 && ! grep -aq 'USR-B  ' "$VM_LOG" && pass "rescue: slots shows only USR-A" || fail "rescue: slots (missing slot)"
	vm_send poweroff
	vm_wait_exit 30 && grep -aq 'reboot: Power down' "$VM_LOG" && pass "rescue: poweroff" || { fail "rescue: poweroff"; vm_log_tail; }
else
	fail "missing slot ends in the rescue console"; vm_log_tail 30
fi
vm_stop
