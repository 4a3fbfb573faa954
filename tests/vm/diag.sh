#!/usr/bin/env bash
# tests/vm/diag.sh — keel diag in qemu: a failed stage 1 (a slot whose manifest signature does
# not verify) keeps evidence on STATE that `keel diag last` shows from the rescue console and that
# survives on the disk; the next good boot (keel init as PID 1) warns that it exists, and
# `keel diag boot` agrees with the stage-1 times printed on the console.
VM_SUITE=diag
. "$(dirname "$0")/lib.sh"

fx=$(vm_fixture fx-diag boot) || { fail "fixtures" "no /bin/busybox (busybox-static)"; exit 0; }

# ---- boot 1: bad signature: stage 1 fails, evidence on STATE, the rescue console shows it ------
vm_image diag-badsig --extra-usr "$fx" --bad-signature --slot-b none >/dev/null || { fail "image diag-badsig"; exit 0; }
disk=$(vm_copy diag-badsig)
vm_start "$disk" keel.init=/usr/lib/keel-test/init
if vm_wait 'rescue# ' 90; then
	grep -aq 'keel init: evidence kept on STATE: /var/lib/keel/evidence/1.txt (keel diag last)' "$VM_LOG" &&
		pass "failed stage 1: evidence kept on STATE, named on the console" || { fail "evidence line"; vm_log_tail; }
	vm_send "diag last"
	vm_wait '^keel: stage 1 failed: checking the manifest of USR-A.*signature does not verify' 30 &&
		pass "rescue: keel diag last shows the reason" || { fail "rescue: diag last"; vm_log_tail; }
	vm_send "diag boot"
	vm_wait '\] stage 1 failed' 30 && pass "rescue: keel diag boot shows stage 1's lines up to the failure" ||
		{ fail "rescue: diag boot"; vm_log_tail; }
	vm_send reboot
	vm_wait_exit 30 || fail "rescue: reboot"
else
	fail "bad signature ends in the rescue console"; vm_log_tail 30
fi
vm_stop
vm_state_image "$disk"
debugfs -R "cat /var/lib/keel/evidence/1.txt" "$VM_DIR/state.img" > "$VM_DIR/ev.txt" 2>/dev/null
head -1 "$VM_DIR/ev.txt" | grep -q '^keel: stage 1 failed: checking the manifest of USR-A' &&
	grep -q '^== /run/keel/boot-stages' "$VM_DIR/ev.txt" && grep -q '^== /dev/kmsg' "$VM_DIR/ev.txt" &&
	[ "$(stat -c %s "$VM_DIR/ev.txt")" -le 65536 ] &&
	pass "the evidence is on the disk: reason, stage 1's lines, the kernel log (at most 64 KiB)" ||
	{ fail "evidence on disk" "$(head -3 "$VM_DIR/ev.txt")"; }

# ---- boot 2: a good slot, keel init as PID 1, the evidence from boot 1 on STATE -----------------
st=$VM_CACHE/fx-diag-state
rm -rf "$st"
mkdir -p "$st/etc/systemd/system/multi-user.target.wants" "$st/etc/keel-test" "$st/var/lib/keel/evidence"
cp "$VM_DIR/ev.txt" "$st/var/lib/keel/evidence/1.txt"
cat > "$st/etc/keel-test/report" <<'X'
#!/usr/bin/busybox sh
bb=/usr/bin/busybox
/usr/bin/keel diag boot | $bb sed 's/^/TEST boot: /' > /dev/console
/usr/bin/keel diag last | $bb head -1 | $bb sed 's/^/TEST last: /' > /dev/console
/usr/bin/keel init poweroff
X
printf '[Unit]\nDescription=report\n\n[Service]\nExecStart=/usr/bin/busybox sh /etc/keel-test/report\n' > "$st/etc/systemd/system/report.service"
ln -s ../report.service "$st/etc/systemd/system/multi-user.target.wants/report.service"
vm_image diag-good --extra-usr "$fx" --extra-state "$st" >/dev/null || { fail "image diag-good"; exit 0; }
disk=$(vm_copy diag-good)
vm_start "$disk"
if vm_wait '^TEST last: ' 120 && vm_wait_exit 60; then
	grep -aq '1 failed boot(s) left evidence in /var/lib/keel/evidence, the newest 1.txt: keel diag last' "$VM_LOG" &&
		pass "the next good boot: keel init says that evidence exists" || { fail "evidence warning"; vm_log_tail; }
	grep -aq '^TEST last: /var/lib/keel/evidence/1.txt (1 kept)' "$VM_LOG" && pass "keel diag last on the host" ||
		{ fail "diag last on the host"; vm_log_tail; }
	grep -aEq '^TEST boot: Startup finished in [0-9.]+m?s \(kernel\) \+ [0-9.]+m?s \(initrd\) \+ [0-9.]+m?s \(userspace\) = ' "$VM_LOG" &&
		pass "keel diag boot: kernel, initrd and userspace" || { fail "diag boot summary"; grep -a 'TEST boot' "$VM_LOG" | head; }
	# every stage-1 console line is in diag boot's list with the same time
	tr -d '\r' < "$VM_LOG" | sed -n 's/^keel init: \(\[ *[0-9]*\.[0-9]*\] .*\)/\1/p' | cut -c1-100 > "$VM_DIR/console.lines"
	tr -d '\r' < "$VM_LOG" | sed -n 's/^TEST boot:   \(\[ *[0-9]*\.[0-9]*\] .*\)/\1/p' | cut -c1-100 > "$VM_DIR/diag.lines"
	[ "$(wc -l < "$VM_DIR/console.lines")" -ge 5 ] && grep -Fxq -f "$VM_DIR/console.lines" "$VM_DIR/diag.lines" &&
		[ -z "$(grep -Fxv -f "$VM_DIR/diag.lines" "$VM_DIR/console.lines")" ] &&
		pass "keel diag boot: stage 1's $(wc -l < "$VM_DIR/console.lines") console lines, each with the console's time" ||
		{ fail "diag boot vs console" "$(diff "$VM_DIR/console.lines" "$VM_DIR/diag.lines" | head -5)"; }
	# keel init keeps run/keel/boot-units open while it runs and closes it before the machine goes
	# down: a file open for writing would keep /run from being remounted read-only
	grep -aq 'shutdown: power off' "$VM_LOG" && ! grep -aq 'shutdown: remount /run read-only' "$VM_LOG" &&
		pass "shutdown: /run remounted read-only (the unit record closed first)" ||
		{ fail "shutdown with run/keel/boot-units open" "$(grep -a 'shutdown:' "$VM_LOG" | head -3)"; }
else
	fail "good boot with evidence reached the report"; vm_log_tail 30
fi
vm_stop
