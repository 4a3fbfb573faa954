#!/usr/bin/env bash
# tests/vm/diag.sh — keel diag in qemu: a failed stage 1 (a slot whose manifest signature does
# not verify) keeps evidence on STATE that `keel diag last` shows from the rescue console and that
# survives on the disk; the next good boot (keel init as PID 1) warns that it exists, and
# `keel diag boot` agrees with the stage-1 times and stage 2's "startup finished" printed on the
# console; a bundle written to STATE opens with GNU tar + zstd and holds every manifest item with
# its size and sha256; `keel diag diff` sees a unit started and its listening socket between two
# bundles, and `keel diag bundle --obfuscate` leaves a planted IP, MAC and the host name nowhere in
# the tar (the map, 0600, has them).
VM_SUITE=diag
. "$(dirname "$0")/lib.sh"

fx=$(vm_fixture fx-diag boot) || { fail "fixtures" "no /bin/busybox (busybox-static)"; exit 0; }
# a file only the dm-verity check reads: 64 KiB of a marker the VM finds on the raw partition
mkdir -p "$fx/lib/keel-test" && yes KEELVERITYVICTIM0 | head -c 65536 > "$fx/lib/keel-test/verity-victim"

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
mkdir -p "$st/etc/systemd/system/multi-user.target.wants" "$st/etc/keel-test" "$st/var/lib/keel/evidence" "$st/var/lib/keel-test"
cp "$VM_DIR/ev.txt" "$st/var/lib/keel/evidence/1.txt"
cat > "$st/etc/keel-test/report" <<'X'
#!/usr/bin/busybox sh
bb=/usr/bin/busybox
/usr/bin/keel diag boot | $bb sed 's/^/TEST boot: /' > /dev/console
# a bundle on STATE (persistent): the test reads it off the disk after the machine is down
/usr/bin/keel diag bundle --deadline 30 -o /var/lib/keel-test/v.tar.zst | $bb sed 's/^/TEST bundle: /' > /dev/console
/usr/bin/keel diag last | $bb head -1 | $bb sed 's/^/TEST last: /' > /dev/console
# diff on a real host: a bundle, a unit that listens started, another bundle
/usr/bin/keel diag bundle --deadline 30 -o /run/a.tar > /dev/null
/usr/bin/keel init start listener.service
$bb sleep 1
/usr/bin/keel diag bundle --deadline 30 -o /run/b.tar > /dev/null
/usr/bin/keel diag diff /run/a.tar /run/b.tar | $bb sed 's/^/TEST diff: /' > /dev/console
echo "TEST diff-self: $(/usr/bin/keel diag diff /run/b.tar /run/b.tar; echo rc=$?)" > /dev/console
# --obfuscate on a real host: the planted values in b.tar, nowhere in o.tar; the map 0600
/usr/bin/keel diag bundle --obfuscate --deadline 30 -o /run/o.tar > /dev/null
for v in 203.0.113.9 02:00:5e:10:00:01 vmhost-diag; do
	echo "TEST obf: $v plain=$($bb grep -c -F "$v" /run/b.tar) obfuscated=$($bb grep -c -i -F "$v" /run/o.tar) map=$($bb grep -c -F "$v" /run/o.tar.map)" > /dev/console
done
echo "TEST obf-map: $($bb stat -c %a /run/o.tar.map)" > /dev/console
# stage 2's figure, read long after multi-user.target was reached
echo "TEST userspace: $(/usr/bin/keel diag boot --json | $bb grep -o '"userspace_us":[0-9]*,"total_us":[0-9]*,"reached":"[^"]*"')" > /dev/console
# dm-verity: 16 bytes of a /usr file overwritten on the raw partition under the running system;
# reading the file through /dev/mapper/usr meets the bad block (EIO) and diag health names it
echo "TEST health-before: $(/usr/bin/keel diag health)" > /dev/console
part=$($bb sed -n 's/^device=//p' /run/keel/boot)
off=$($bb strings -t d -n 17 "$part" | $bb grep -m1 KEELVERITYVICTIM0 | $bb sed 's/^ *\([0-9]*\) .*/\1/')
echo XXXXXXXXXXXXXXXX | $bb dd of="$part" bs=1 seek="$off" count=16 conv=notrunc,fsync 2>/dev/null
echo 3 > /proc/sys/vm/drop_caches
echo "TEST verity-read: off=$off $($bb cat /usr/lib/keel-test/verity-victim > /dev/null 2>&1; echo rc=$?)" > /dev/console
h=$(/usr/bin/keel diag health)
echo "TEST health-after: rc=$? $h" > /dev/console
/usr/bin/keel init poweroff
X
printf 'peer = 203.0.113.9\nmac = 02:00:5e:10:00:01\nowner = vmhost-diag\n' > "$st/etc/keel-test/plant.conf"
mkdir -p "$st/etc/keel"
cp "$st/etc/keel-test/plant.conf" "$st/etc/keel/plant.conf"
printf 'vmhost-diag\n' > "$st/etc/hostname"
printf '[Unit]\nDescription=listens on 7777\n\n[Service]\nExecStart=/usr/bin/busybox httpd -f -p 7777 -h /\n' > "$st/etc/systemd/system/listener.service"
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
	# stage 2: keel init prints "startup finished: multi-user.target reached in N ms", from stage
	# 1's switch_root (the last line of run/keel/boot-stages, whole ms) to the goal's active
	# record (boot-units), both on CLOCK_MONOTONIC: the two ends of diag boot's userspace, so
	# N is its µs rounded down to ms, exactly
	us=$(tr -d '\r' < "$VM_LOG" | grep -a '^TEST userspace: ' | head -1)
	cn=$(tr -d '\r' < "$VM_LOG" | sed -n 's/^keel init: startup finished: multi-user.target reached in \([0-9]*\) ms$/\1/p' | head -1)
	du=$(echo "$us" | sed -n 's/^TEST userspace: "userspace_us":\([0-9]*\),.*"reached":"multi-user.target"$/\1/p')
	[ -n "$cn" ] && [ -n "$du" ] && [ "$cn" = $((du / 1000)) ] &&
		pass "keel diag boot: userspace $du µs, the console's startup finished $cn ms: the same" ||
		fail "diag boot vs the console's startup finished" "console ${cn:-none} ms; ${us:-no TEST userspace line}"
	con() { tr -d '\r' < "$VM_LOG"; }
	con | grep -aEq '^TEST diff: units +listener.service +- +loaded.active.running' &&
		con | grep -aEq '^TEST diff: listening +tcp6?:(0\.0\.0\.0|\[::\]):7777 +- +listen' &&
		pass "keel diag diff on the host: the unit started and its listening socket" ||
		{ fail "diag diff on the host" "$(con | grep -a '^TEST diff' | head -8)"; }
	con | grep -aq '^TEST diff-self: rc=0' && pass "keel diag diff: a host's bundle against itself is the same (exit 0)" ||
		fail "diag diff self" "$(con | grep -a '^TEST diff-self')"
	[ "$(con | grep -ac '^TEST obf: .* plain=[1-9][0-9]* obfuscated=0 map=1$')" = 3 ] && con | grep -aq '^TEST obf-map: 600' &&
		pass "keel diag bundle --obfuscate on the host: the planted IP, MAC and host name nowhere in the tar, each in the 0600 map" ||
		fail "obfuscate on the host" "$(con | grep -a '^TEST obf' | tr '\n' ' ')"
	con | grep -aq '^TEST health-before: .*' && ! con | grep -a '^TEST health-before' | grep -q verity &&
		con | grep -aEq '^TEST verity-read: off=[0-9]+ rc=1$' &&
		con | grep -aq '^TEST health-after: rc=1 degraded: .*dm-verity: /usr (/dev/mapper/usr) read a block that does not match its hash' &&
		pass "diag health: a /usr block overwritten on disk, read through dm-verity (EIO): degraded, named (not before)" ||
		fail "diag health and dm-verity" "$(con | grep -a '^TEST \(health\|verity\)' | tr '\n' ' ')"
	# keel init keeps run/keel/boot-units open while it runs and closes it before the machine goes
	# down: a file open for writing would keep /run from being remounted read-only
	grep -aq 'shutdown: power off' "$VM_LOG" && ! grep -aq 'shutdown: remount /run read-only' "$VM_LOG" &&
		pass "shutdown: /run remounted read-only (the unit record closed first)" ||
		{ fail "shutdown with run/keel/boot-units open" "$(grep -a 'shutdown:' "$VM_LOG" | head -3)"; }
else
	fail "good boot with evidence reached the report"; vm_log_tail 30
fi
vm_stop
# the bundle written on the VM host, off STATE: a zstd frame whose checksum holds, GNU tar
# extracts it, every manifest item is there with its size and sha256 (tests/diag-manifest.py)
vm_state_image "$disk"
rm -rf "$VM_DIR/v" && mkdir -p "$VM_DIR/v"
debugfs -R "dump /var/lib/keel-test/v.tar.zst $VM_DIR/v.tar.zst" "$VM_DIR/state.img" > /dev/null 2>&1
n=
if [ -s "$VM_DIR/v.tar.zst" ] && zstd -tq "$VM_DIR/v.tar.zst" && tar --zstd -xf "$VM_DIR/v.tar.zst" -C "$VM_DIR/v" &&
	n=$(python3 "$KEEL_SRC/tests/diag-manifest.py" "$VM_DIR/v" 2>&1); then
	pass "the VM host's bundle ($(($(stat -c %s "$VM_DIR/v.tar.zst") / 1024)) KiB, off STATE) opens with zstd -t and tar --zstd: $n"
else
	fail "the VM host's bundle with GNU tar + zstd" "$(stat -c %s "$VM_DIR/v.tar.zst" 2>&1) bytes; ${n:-}"
	tr -d '\r' < "$VM_LOG" | grep -a '^TEST bundle' | head -3
fi
# on a keel host the state collectors say something: the release booted and its Secure Boot state,
# the update state, the boot timeline, the policy host report, the timers
D=$VM_DIR/v/keel-diag
if grep -q '^secure_boot=' "$D/keel/boot" 2>/dev/null && grep -q '"booted"' "$D/keel/update-status.json" 2>/dev/null &&
	grep -q 'in userspace' "$D/keel/boot-timeline.txt" 2>/dev/null && grep -q 'NEXT' "$D/timers.txt" 2>/dev/null &&
	grep -q '^profile keel-default, role base' "$D/policy-host.txt" 2>/dev/null && grep -q '^PASS ' "$D/policy-host.txt"; then
	pass "the VM host's bundle: boot record with secure_boot=, update status, boot timeline, timers, policy host report"
else
	fail "the VM host's bundle: state items" "$(head -c 200 "$D/keel/boot" "$D/timers.txt" "$D/keel/boot-timeline.txt" "$D/policy-host.txt" 2>&1 | tr '\n' ' ')"
fi
