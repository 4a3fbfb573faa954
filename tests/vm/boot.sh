#!/usr/bin/env bash
# tests/vm/boot.sh — stage 1 in qemu: verity refuses a flipped bit, gptprio.next slot choice with
# tries written back, broken roots ending in the rescue console (driven over serial), and what a
# writable STATE must not be able to do: a planted /lib64 directory is refused, a planted
# /etc/keel-initramfs ignored, its floor file only raises the minimum version; slots below the
# minimum version are refused.
# Ten boots of ~8 s each (TCG), plus reproducibility checks of both recipes. The host init is a
# busybox script (fixtures/boot) that reports and powers off, so these tests do not depend on
# stage 2, except boot 8, whose host PID 1 is keel init.
VM_SUITE=boot
. "$(dirname "$0")/lib.sh"

# Fixtures: busybox-static, the reporting init, and a 16 KiB file whose first block we corrupt.
fx=$(vm_fixture fx-boot boot) || { fail "fixtures" "no /bin/busybox (busybox-static)"; exit 0; }
mkdir -p "$fx/share/keel-test"
for i in $(seq 0 511); do printf 'keel corrupt-me block line %05d.......................\n' "$i"; done |
	head -c 16384 > "$fx/share/keel-test/corrupt"
init=keel.init=/usr/lib/keel-test/init


# ---- reproducible recipes (no boot) ---------------------------------------------------------
i1=$VM_DIR/i1.cpio i2=$VM_DIR/i2.cpio
"$KEEL_SRC/initramfs/mkinitramfs.sh" --keel "$KEEL" --key "$VM_PUB" --out "$i1" &&
	"$KEEL_SRC/initramfs/mkinitramfs.sh" --keel "$KEEL" --key "$VM_PUB" --out "$i2" && cmp -s "$i1" "$i2" &&
	pass "initramfs: two builds are byte-identical" || fail "initramfs reproducible"
cpio -it --quiet < "$i1" > "$VM_DIR/list" 2>/dev/null
[ "$(cpio -itv --quiet < "$i1" 2>/dev/null | awk '$3 != "root" || $4 != "root"' | wc -l)" = 0 ] &&
	grep -qx init "$VM_DIR/list" && grep -qx etc/keel-initramfs "$VM_DIR/list" && grep -q 'dm-verity.ko$' "$VM_DIR/list" &&
	grep -q 'crc32c_generic.ko$' "$VM_DIR/list" && grep -qx 'etc/keel/keys/slot-test.pem' "$VM_DIR/list" &&
	[ "$(sort "$VM_DIR/list")" = "$(LC_ALL=C sort "$VM_DIR/list")" ] && [ "$(cat "$VM_DIR/list")" = "$(LC_ALL=C sort "$VM_DIR/list")" ] &&
	pass "initramfs: sorted, owned by root, /init, marker, key, dm-verity and softdep modules" || fail "initramfs contents"
SOURCE_DATE_EPOCH=1700000000 "$KEEL_SRC/initramfs/mkinitramfs.sh" --keel "$KEEL" --key "$VM_PUB" --out "$i2" && ! cmp -s "$i1" "$i2" &&
	pass "initramfs: SOURCE_DATE_EPOCH is honoured (another epoch, other bytes)" || fail "initramfs SOURCE_DATE_EPOCH"
a=$VM_DIR/r1.img b=$VM_DIR/r2.img
"$KEEL_SRC/initramfs/mkimage.sh" --keel "$KEEL" --key "$VM_KEY" --out "$a" --slot-mb 8 --state-mb 8 >/dev/null &&
	"$KEEL_SRC/initramfs/mkimage.sh" --keel "$KEEL" --key "$VM_KEY" --out "$b" --slot-mb 8 --state-mb 8 >/dev/null
# byte-identical: the manifests' ECDSA signatures are deterministic (keel verify sign, RFC 6979)
cmp -s "$a" "$b" && pass "disk image: two builds are byte-identical (manifest signatures included)" ||
	fail "disk image reproducible" "$(cmp "$a" "$b" 2>&1 | head -1)"

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
	vm_state_check "$disk" && pass "STATE is clean after the poweroff (e2fsck -fn)" || fail "STATE fsck after poweroff"
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

# ---- boot 5: keel.rescue: the console before any slot is touched -------------------------------
disk=$(vm_copy boot-ab)
vm_start "$disk" "$init" keel.rescue
if vm_wait 'rescue# ' 60; then
	grep -aq 'keel rescue console: keel.rescue on the kernel command line' "$VM_LOG" && pass "keel.rescue enters the rescue console" ||
		{ fail "keel.rescue reason"; vm_log_tail; }
	vm_send "cat /proc/cmdline"
	vm_wait 'panic=-1 loglevel=4 .*keel.rescue' 20 && pass "rescue: cat" || fail "rescue: cat"
	vm_send "modprobe --show erofs"
	vm_wait 'insmod /lib/modules/.*/erofs.ko' 20 && pass "rescue: runs a keel applet (modprobe --show)" || fail "rescue: applet"
	# ^C on the serial console: the console is PID 1's controlling terminal
	vm_send "cat /dev/kmsg" # prints the kernel log, then waits for more
	vm_wait '^[0-9]+,[0-9]+,[0-9]+,[-c];Linux version' 20 && printf '\003' >&"$VM_FD" && # /dev/kmsg's first record
		vm_wait '^\(interrupted\)' 20 && pass "rescue: ^C interrupts a built-in blocked on a read" || { fail "rescue: ^C (built-in)"; vm_log_tail; }
	vm_send reboot
	vm_wait_exit 30 && [ "$(cgpt show -i 2 -T "$disk")" = 1 ] && pass "keel.rescue: tries untouched (still 1)" ||
		{ fail "keel.rescue left tries alone"; vm_log_tail; }
else
	fail "keel.rescue"; vm_log_tail 30
fi
vm_stop

# ---- boot 6: missing slot (keel.slot=USR-B on a disk without USR-B) ----------------------------
disk=$(vm_copy boot-badsig)
vm_start "$disk" "$init" keel.slot=USR-B keel.rescue_timeout=soon
if vm_wait 'rescue# ' 60; then
	grep -aq 'FAILED: choosing the slot: keel.slot=USR-B: no such partition' "$VM_LOG" && pass "missing slot: rescue console with the reason" ||
		{ fail "missing slot message"; vm_log_tail; }
	grep -aq 'ignoring keel.rescue_timeout=soon' "$VM_LOG" && grep -aq 'idle for 600 s reboots' "$VM_LOG" &&
		pass "a bad keel.rescue_timeout= is named and the default used (PID 1 never exits)" || { fail "bad keel.rescue_timeout"; vm_log_tail; }
	vm_send slots
	vm_wait '^2 +USR-A ' 20 && ! grep -aq 'USR-B  ' "$VM_LOG" && pass "rescue: slots shows only USR-A" || fail "rescue: slots (missing slot)"
	vm_send poweroff
	vm_wait_exit 30 && grep -aq 'reboot: Power down' "$VM_LOG" && pass "rescue: poweroff" || { fail "rescue: poweroff"; vm_log_tail; }
else
	fail "missing slot ends in the rescue console"; vm_log_tail 30
fi
vm_stop

# refused NAME WHAT LINE CMDLINE…: a copy of image NAME, booted, must stop in the rescue console
# with "keel init: FAILED: LINE", before the verity root is mounted and the host init runs; then
# the console powers it off.
refused() {
	local name=$1 what=$2 line=$3 disk
	shift 3
	disk=$(vm_copy "$name")
	vm_start "$disk" "$@"
	if vm_wait 'rescue# ' 60; then
		grep -aqF "keel init: FAILED: $line" "$VM_LOG" && pass "$what: boot refused, one FAILED line naming it" ||
			{ fail "$what: the FAILED line"; vm_log_tail; }
		! grep -aq '^TEST \|mounted read-only on /usr' "$VM_LOG" && pass "$what: no verity root mounted, no host init" ||
			fail "$what: the boot went on"
		vm_send poweroff
		vm_wait_exit 30 || fail "$what: rescue poweroff"
	else
		fail "$what: ends in the rescue console"; vm_log_tail 30
	fi
	vm_stop
}

# ---- boot 7: a /lib64 directory planted on STATE (its own ld.so for the verified binaries) ----
st=$VM_CACHE/fx-state-lib64
rm -rf "$st"
mkdir -p "$st/lib64"
printf 'not the verified loader\n' > "$st/lib64/ld-linux-x86-64.so.2"
vm_image boot-lib64 --extra-usr "$fx" --extra-state "$st" --slot-b none >/dev/null || { fail "image boot-lib64"; exit 0; }
refused boot-lib64 "a /lib64 directory planted on STATE" \
	"preparing the state partition: STATE: /lib64 is a directory, not the symlink lib64 -> usr/lib64" "$init"

# ---- boot 8: /etc/keel-initramfs planted on STATE; keel init is the host's PID 1 ---------------
# The host boots normally (stage 1 runs only on a ramfs/tmpfs root). STATE's floor equals the
# image version (0.1.0): at the floor boots.
st=$VM_CACHE/fx-state-marker
rm -rf "$st"
mkdir -p "$st/etc/systemd/system/multi-user.target.wants" "$st/etc/keel-test" "$st/var/lib/keel"
printf 'keel initramfs\n' > "$st/etc/keel-initramfs"
printf '0.1.0\n' > "$st/var/lib/keel/min-version"
cat > "$st/etc/keel-test/report" <<'EOF'
#!/usr/bin/busybox sh
bb=/usr/bin/busybox
$bb echo "TEST stage 2: pid1=$($bb cat /proc/1/comm) $($bb tr '\n' ' ' < /run/keel/boot)" > /dev/console
/usr/bin/keel init poweroff
EOF
cat > "$st/etc/systemd/system/report.service" <<'EOF'
[Unit]
Description=report what stage 1 left, then power off

[Service]
ExecStart=/usr/bin/busybox sh /etc/keel-test/report
EOF
ln -s ../report.service "$st/etc/systemd/system/multi-user.target.wants/report.service"
vm_image boot-marker --extra-usr "$fx" --extra-state "$st" >/dev/null || { fail "image boot-marker"; exit 0; }
disk=$(vm_copy boot-marker)
vm_start "$disk"
if vm_wait '^TEST stage 2: ' 90 && vm_wait_exit 60; then
	grep -aq '^TEST stage 2: pid1=keel slot=USR-A .*min_version=0.1.0' "$VM_LOG" &&
		pass "/etc/keel-initramfs on STATE: the host boots normally (keel init supervises, stage 1 not rerun)" ||
		{ fail "host boot with a planted marker"; vm_log_tail; }
	grep -aq "/etc/keel-initramfs on the host's root ignored" "$VM_LOG" && ! grep -aq 'FAILED' "$VM_LOG" &&
		pass "the planted marker is named and ignored; nothing failed" || { fail "planted marker warning"; vm_log_tail; }
	grep -aq 'USR-A: version 0.1.0, minimum 0.1.0 (/var/lib/keel/min-version on STATE)' "$VM_LOG" &&
		pass "a slot at STATE's floor boots" || { fail "slot at the floor"; vm_log_tail; }
	grep -aq 'reboot: Power down' "$VM_LOG" && pass "planted marker: keel init powered off" || fail "planted marker: power off"
else
	fail "/etc/keel-initramfs on STATE: host reached"; vm_log_tail 30
fi
vm_stop

# ---- boot 9: initramfs floor 0.1.1 above the slots' 0.1.0; keel.slot= forces USR-B -------------
# STATE's floor (0.1.0) is lower: it cannot lower the initramfs's.
if VM_INITRD=$(vm_initramfs --min-version 0.1.1) &&
	[ "$(cpio -i --quiet --to-stdout etc/keel/min-version < "$VM_INITRD" 2>/dev/null)" = 0.1.1 ]; then
	pass "mkinitramfs --min-version 0.1.1 writes /etc/keel/min-version"
else
	fail "mkinitramfs --min-version"
fi
refused boot-marker "a slot below the initramfs floor, forced by keel.slot=" \
	"checking the version of USR-B against the minimum: version 0.1.0 is below the minimum version 0.1.1 (/etc/keel/min-version on the initramfs)" \
	keel.slot=USR-B

# ---- boot 10: STATE's floor 0.2 raises the initramfs's 0.1.0 above the slot -------------------
st=$VM_CACHE/fx-state-floor
rm -rf "$st"
mkdir -p "$st/var/lib/keel"
printf '0.2\n' > "$st/var/lib/keel/min-version"
VM_INITRD=$(vm_initramfs --min-version 0.1.0) || fail "mkinitramfs --min-version 0.1.0"
vm_image boot-floor --extra-usr "$fx" --extra-state "$st" --slot-b none >/dev/null || { fail "image boot-floor"; exit 0; }
refused boot-floor "a slot below STATE's floor, which raises the initramfs's" \
	"checking the version of USR-A against the minimum: version 0.1.0 is below the minimum version 0.2 (/var/lib/keel/min-version on STATE)" \
	"$init"
unset VM_INITRD
